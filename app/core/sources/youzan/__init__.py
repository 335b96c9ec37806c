"""有赞 (Youzan cloud) order source: signed trade pushes, no status write-back."""

from app.core.sources.youzan.api import Connector
from app.core.sources.youzan.rules import RULES

__all__ = ["RULES", "Connector"]
