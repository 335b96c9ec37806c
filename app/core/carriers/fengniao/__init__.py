"""蜂鸟即配 Fengniao (Ele.me anubis v3 openapi) adapter."""

from app.core.carriers.fengniao.api import Adapter
from app.core.carriers.fengniao.rules import RULES

__all__ = ["RULES", "Adapter"]
