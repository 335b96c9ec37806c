"""Orders as the POS (or the cashier) hands them to us: immutable values, money in fen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Channel(StrEnum):
    POS = "pos"
    MEITUAN = "meituan"
    ELEME = "eleme"
    MINIPROGRAM = "miniprogram"
    PHONE = "phone"
    OTHER = "other"


class CoordSystem(StrEnum):
    GCJ02 = "gcj02"
    BD09 = "bd09"
    WGS84 = "wgs84"


class DispatchMode(StrEnum):
    AUTO = "auto"
    MANUAL = "manual"


class OrderState(StrEnum):
    """Where the sale stands, independent of any one carrier attempt."""

    NEW = "new"  # received, not dispatched
    QUEUED = "queued"  # waiting: auto-dispatch timer, or no carrier reachable
    DISPATCHING = "dispatching"  # an attempt is live (submitting .. at_dropoff)
    DELIVERED = "delivered"
    SELF_DELIVERED = "self_delivered"
    CANCELLED = "cancelled"
    ATTENTION = "attention"  # needs a human: every carrier failed, goods returning, ...


@dataclass(frozen=True, slots=True)
class Item:
    name: str
    qty: int
    price_fen: int


@dataclass(frozen=True, slots=True)
class Address:
    """A place. ``lat``/``lng`` are always GCJ-02; the original is kept for audit."""

    text: str
    lat: float
    lng: float
    orig_system: CoordSystem = CoordSystem.GCJ02
    orig_lat: float | None = None
    orig_lng: float | None = None


@dataclass(frozen=True, slots=True)
class Customer:
    name: str
    phone: str
    address: Address


@dataclass(frozen=True, slots=True)
class Order:
    pos_order_id: str
    channel: Channel
    created_at: datetime
    customer: Customer
    items: tuple[Item, ...] = ()
    total_fen: int = 0
    goods_value_fen: int = 0
    delivery_fee_fen: int = 0  # what the customer paid for delivery (margin column)
    weight_g: int = 1000
    note: str = ""
    pickup_no: str = ""
    expected_ready_at: datetime | None = None
    scheduled_at: datetime | None = None
    dispatch_mode: DispatchMode = DispatchMode.MANUAL
    id: int | None = None  # our id, assigned by storage
    state: OrderState = OrderState.NEW
    received_at: datetime | None = None
    distance_m: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Store:
    """The sending shop, from the ``[store]`` settings table."""

    name: str
    address: str
    phone: str
    city: str
    city_code: str
    lat: float
    lng: float
    default_category: str = ""  # [store] default_category (domain.category)
    currency: str = "CNY"  # ISO 4217; money is integer minor units (fen, cents) of it
    country: str = "CN"  # ISO 3166-1 alpha-2
