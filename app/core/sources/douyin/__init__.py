"""抖音来客 (Douyin local life / mini-app takeaway) order source: webhooks in, fulfilment
status out."""

from app.core.sources.douyin.api import Connector
from app.core.sources.douyin.rules import RULES

__all__ = ["RULES", "Connector"]
