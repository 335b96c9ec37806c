"""蜂鸟即配 Fengniao (Ele.me anubis v3 openapi) adapter."""

from app.core.carriers.fengniao.api import Adapter
from app.core.carriers.fengniao.rules import BILL_COLUMNS, COLOUR, RULES
from app.core.carriers.meta import CarrierMeta

__all__ = ["META", "RULES", "Adapter"]

META = CarrierMeta(RULES, Adapter, COLOUR, BILL_COLUMNS)
