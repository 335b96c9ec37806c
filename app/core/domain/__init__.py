"""Frozen domain values and pure rules; no I/O."""

from app.core.domain.attempt import DeliveryAttempt, Rider
from app.core.domain.attention import Attention, AttentionReason
from app.core.domain.category import GoodsCategory, goods_category
from app.core.domain.order import (
    Address,
    Channel,
    CoordSystem,
    Customer,
    DispatchMode,
    Item,
    Order,
    OrderState,
    Store,
)
from app.core.domain.quote import Quote
from app.core.domain.status import CancelledBy, DeliveryStatus, Transition, apply_update

__all__ = [
    "Address",
    "Attention",
    "AttentionReason",
    "CancelledBy",
    "Channel",
    "CoordSystem",
    "Customer",
    "DeliveryAttempt",
    "DeliveryStatus",
    "DispatchMode",
    "GoodsCategory",
    "Item",
    "Order",
    "OrderState",
    "Quote",
    "Rider",
    "Store",
    "Transition",
    "apply_update",
    "goods_category",
]
