"""闪送 Shansong (iShansong): merchant open API v5 adapter."""

from app.core.carriers.shansong.api import Adapter
from app.core.carriers.shansong.rules import RULES

__all__ = ["RULES", "Adapter"]
