"""UU跑腿 UUPT (open API v3) adapter."""

from app.core.carriers.uupt.api import Adapter
from app.core.carriers.uupt.rules import RULES

__all__ = ["RULES", "Adapter"]
