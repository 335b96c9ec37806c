"""UU跑腿 UUPT (open API v3) adapter."""

from app.core.carriers.meta import CarrierMeta
from app.core.carriers.uupt.api import Adapter
from app.core.carriers.uupt.rules import BILL_COLUMNS, COLOUR, RULES

__all__ = ["META", "RULES", "Adapter"]

META = CarrierMeta(RULES, Adapter, COLOUR, BILL_COLUMNS)
