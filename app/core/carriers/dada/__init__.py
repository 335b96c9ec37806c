"""达达 Dada (达达秒送 / 京东秒送): merchant open API adapter."""

from app.core.carriers.dada.api import Adapter
from app.core.carriers.dada.rules import BILL_COLUMNS, COLOUR, RULES
from app.core.carriers.meta import CarrierMeta

__all__ = ["META", "RULES", "Adapter"]

META = CarrierMeta(RULES, Adapter, COLOUR, BILL_COLUMNS)
