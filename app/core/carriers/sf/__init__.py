"""顺丰同城 (SF Express same-city, openic) carrier package."""

from app.core.carriers.meta import CarrierMeta
from app.core.carriers.sf.api import Adapter
from app.core.carriers.sf.rules import BILL_COLUMNS, COLOUR, RULES

__all__ = ["META", "RULES", "Adapter"]

META = CarrierMeta(RULES, Adapter, COLOUR, BILL_COLUMNS)
