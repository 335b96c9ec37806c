"""顺丰同城 (SF Express same-city, openic) carrier package."""

from app.core.carriers.sf.api import Adapter
from app.core.carriers.sf.rules import RULES

__all__ = ["RULES", "Adapter"]
