"""美团外卖 (waimaiopen) order source; the MTOp 技术服务合作中心 signer lives in ``mtop``."""

from app.core.sources.meituan.api import Connector
from app.core.sources.meituan.rules import RULES

__all__ = ["RULES", "Connector"]
