"""哗啦啦 (Hualala) POS order source, from what its public SDK shows: the v3 signer,
``groupID``/``shopID`` headers, order pull (``/order/queryOrder``) and status update
with shipper info (``/order/updateOrderStatus``). No push: pull only."""

from app.core.sources.hualala.api import Connector
from app.core.sources.hualala.rules import RULES

__all__ = ["RULES", "Connector"]
