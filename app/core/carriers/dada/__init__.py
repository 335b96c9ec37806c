"""达达 Dada (达达秒送 / 京东秒送): merchant open API adapter."""

from app.core.carriers.dada.api import Adapter
from app.core.carriers.dada.rules import RULES

__all__ = ["RULES", "Adapter"]
