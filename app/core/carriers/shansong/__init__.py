"""闪送 Shansong (iShansong): merchant open API v5 adapter."""

from app.core.carriers.meta import CarrierMeta
from app.core.carriers.shansong.api import Adapter
from app.core.carriers.shansong.rules import BILL_COLUMNS, COLOUR, RULES

__all__ = ["META", "RULES", "Adapter"]

META = CarrierMeta(RULES, Adapter, COLOUR, BILL_COLUMNS)
