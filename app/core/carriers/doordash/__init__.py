"""DoorDash Drive API v2 (international edition) adapter."""

from app.core.carriers.doordash.api import Adapter
from app.core.carriers.doordash.rules import BILL_COLUMNS, COLOUR, RULES
from app.core.carriers.meta import CarrierMeta

__all__ = ["META", "RULES", "Adapter"]

META = CarrierMeta(RULES, Adapter, COLOUR, BILL_COLUMNS)
