"""Uber Direct (DaaS, international edition) adapter."""

from app.core.carriers.meta import CarrierMeta
from app.core.carriers.uber_direct.api import Adapter
from app.core.carriers.uber_direct.rules import BILL_COLUMNS, COLOUR, RULES

__all__ = ["META", "RULES", "Adapter"]

META = CarrierMeta(RULES, Adapter, COLOUR, BILL_COLUMNS)
