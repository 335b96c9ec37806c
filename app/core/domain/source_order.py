"""Orders as a platform (美团外卖, 饿了么, ...) hands them to us, and how one becomes a JuPei
``Order``: immutable values, money in fen, times aware UTC, coordinates GCJ-02.

A ``SourceOrder`` is the thing the customer paid the platform for; it is keyed by
``(source, source_order_id)`` and every push or pull is an upsert of it (``merge``). Only
``FulfilmentMode.SELF_DELIVERY`` orders are dispatched by JuPei; the others are shown and
printed but never get a delivery attempt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from app.core.domain.order import Address, Channel, Customer, DispatchMode, Item, Order


class SourceId(StrEnum):
    MEITUAN = "meituan"
    MEITUAN_MTOP = "meituan_mtop"
    ELEME = "eleme"
    KERUYUN = "keruyun"
    YOUZAN = "youzan"
    DOUYIN = "douyin"
    HUALALA = "hualala"


#: the short platform name staff shout with the day number ("美团 #12")
SOURCE_LABEL_ZH: dict[str, str] = {
    SourceId.MEITUAN: "美团",
    SourceId.MEITUAN_MTOP: "美团",
    SourceId.ELEME: "饿了么",
    SourceId.KERUYUN: "客如云",
    SourceId.YOUZAN: "有赞",
    SourceId.DOUYIN: "抖音",
    SourceId.HUALALA: "哗啦啦",
}
SOURCE_LABEL_EN: dict[str, str] = {
    SourceId.MEITUAN: "Meituan",
    SourceId.MEITUAN_MTOP: "Meituan",
    SourceId.ELEME: "Ele.me",
    SourceId.KERUYUN: "Keruyun",
    SourceId.YOUZAN: "Youzan",
    SourceId.DOUYIN: "Douyin",
    SourceId.HUALALA: "Hualala",
}
_CHANNEL: dict[str, Channel] = {
    SourceId.MEITUAN: Channel.MEITUAN,
    SourceId.MEITUAN_MTOP: Channel.MEITUAN,
    SourceId.ELEME: Channel.ELEME,
    SourceId.KERUYUN: Channel.POS,
    SourceId.YOUZAN: Channel.MINIPROGRAM,  # a SaaS storefront: the shop's own channel
    SourceId.DOUYIN: Channel.OTHER,
    SourceId.HUALALA: Channel.POS,
}


class SourceOrderState(StrEnum):
    """The platform order's own life, unified across platforms."""

    NEW = "new"  # awaiting the merchant's accept (接单)
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def rank(self) -> int:
        return _STATE_RANK[self]

    @property
    def terminal(self) -> bool:
        return self in (SourceOrderState.COMPLETED, SourceOrderState.CANCELLED)


_STATE_RANK = {
    SourceOrderState.NEW: 0,
    SourceOrderState.CONFIRMED: 1,
    SourceOrderState.COMPLETED: 2,
    SourceOrderState.CANCELLED: 2,
}


class RefundState(StrEnum):
    NONE = "none"
    APPLIED = "applied"
    PARTIAL = "partial"
    FULL = "full"
    REJECTED = "rejected"


class FulfilmentMode(StrEnum):
    SELF_DELIVERY = "self_delivery"  # the shop delivers: JuPei dispatches a carrier
    PLATFORM_DELIVERY = "platform_delivery"  # 美团专送, 蜂鸟...: never dispatched
    PICKUP = "pickup"  # 到店自取: never dispatched

    @property
    def dispatches(self) -> bool:
        return self is FulfilmentMode.SELF_DELIVERY


class PhoneKind(StrEnum):
    REAL = "real"
    VIRTUAL = "virtual"  # privacy number with an extension: call, then dial the extension
    MASKED = "masked"  # 138*****678: shown, not dialable


@dataclass(frozen=True, slots=True)
class Phone:
    """A phone exactly as the platform gave it (a carrier must get the dialable form)."""

    number: str
    kind: PhoneKind = PhoneKind.REAL
    expires_at: datetime | None = None


_VIRTUAL = re.compile(r"^\+?[\d-]{5,}[_,#]\d{1,8}$")


def classify_phone(text: str, expires_at: datetime | None = None) -> Phone:
    """'13812345678_1234' is virtual, '138*****678' masked, anything else real; the text
    itself is never rewritten (platforms and carriers disagree on the separator)."""
    t = text.strip()
    if "*" in t:
        kind = PhoneKind.MASKED
    elif _VIRTUAL.match(t):
        kind = PhoneKind.VIRTUAL
    else:
        kind = PhoneKind.REAL
    return Phone(t, kind, expires_at)


@dataclass(frozen=True, slots=True)
class SourceRecipient:
    name: str
    phones: tuple[Phone, ...] = ()
    address: str = ""
    address_geocoded: str = ""  # the platform's reverse-geocoded text, when it sends one
    lat: float | None = None  # GCJ-02 decimal degrees; None when the platform sent none
    lng: float | None = None

    @property
    def dial_phone(self) -> str:
        """The first number a rider can dial (virtual before masked)."""
        for p in self.phones:
            if p.kind is not PhoneKind.MASKED:
                return p.number
        return self.phones[0].number if self.phones else ""


@dataclass(frozen=True, slots=True)
class SourceItem:
    name: str
    qty: int
    unit_price_fen: int
    sku_ref: str = ""
    spec: str = ""
    basket: int = 0


@dataclass(frozen=True, slots=True)
class SourceMoney:
    """All fen. ``None`` where the platform did not say (never guessed as 0)."""

    paid_total_fen: int = 0
    original_total_fen: int | None = None
    delivery_fee_fen: int | None = None  # what the customer was charged for delivery
    packaging_fee_fen: int | None = None
    merchant_receivable_fen: int | None = None
    platform_fee_fen: int | None = None
    discount_merchant_fen: int | None = None
    discount_platform_fen: int | None = None


@dataclass(frozen=True, slots=True)
class SourceOrder:
    source: str
    source_order_id: str  # always text: 饿了么 ids have 19 digits
    source_store_ref: str
    display_no: int | None  # 美团 day_seq / 饿了么 daySn: the number staff shout
    state: SourceOrderState
    source_status_raw: str
    fulfilment: FulfilmentMode
    recipient: SourceRecipient
    money: SourceMoney
    created_at: datetime
    items: tuple[SourceItem, ...] = ()
    cancel_requested: bool = False
    refund_state: RefundState = RefundState.NONE
    paid_at: datetime | None = None
    expected_delivery_at: datetime | None = None  # None = as soon as possible
    is_reservation: bool = False
    note: str = ""
    data_degraded: bool = False  # platform sent a partial order: re-fetch the detail
    updated_at: datetime | None = None  # the platform's last change time, when given
    raw_payload: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.source_order_id)

    def display_label(self, lang: str = "zh") -> str:
        """'美团 #12' — the pickup number printed and shown on the board."""
        names = SOURCE_LABEL_ZH if lang == "zh" else SOURCE_LABEL_EN
        name = names.get(self.source, self.source)
        return f"{name} #{self.display_no}" if self.display_no is not None else name

    @property
    def dispatchable(self) -> bool:
        return self.fulfilment.dispatches and not self.state.terminal


def merge(old: SourceOrder, new: SourceOrder) -> SourceOrder:
    """Upsert rule for a repeated or out-of-order push: take the newer facts, but never
    move the state back (a late "paid" push after "cancelled" changes nothing) and
    never lose a cancel or refund flag; a degraded copy never replaces a full one."""
    if old.key != new.key:
        raise ValueError(f"merge of different orders {old.key} and {new.key}")
    base = old if new.data_degraded and not old.data_degraded else new
    keep_old_state = new.state.rank < old.state.rank or (old.state.terminal and new.state.terminal)
    state, raw = (
        (old.state, old.source_status_raw) if keep_old_state else (new.state, new.source_status_raw)
    )
    refund = new.refund_state if new.refund_state is not RefundState.NONE else old.refund_state
    return replace(
        base,
        state=state,
        source_status_raw=raw,
        cancel_requested=old.cancel_requested or new.cancel_requested,
        refund_state=refund,
        display_no=new.display_no if new.display_no is not None else old.display_no,
        data_degraded=old.data_degraded and new.data_degraded,
    )


def to_order(so: SourceOrder, *, received_at: datetime | None = None) -> Order:
    """The JuPei ``Order`` a source order becomes on the board. Pure.

    ``pos_order_id`` is ``"<source>:<source_order_id>"`` so it never collides with POS
    ids; orders JuPei must not dispatch carry ``extra["dispatch"] = False``."""
    r = so.recipient
    has_point = r.lat is not None and r.lng is not None
    address = Address(r.address_geocoded or r.address, r.lat or 0.0, r.lng or 0.0)
    m = so.money
    delivery = m.delivery_fee_fen or 0
    packaging = m.packaging_fee_fen or 0
    goods = sum(i.unit_price_fen * i.qty for i in so.items) or max(
        m.paid_total_fen - delivery - packaging, 0
    )
    return Order(
        pos_order_id=f"{so.source}:{so.source_order_id}",
        channel=_CHANNEL.get(so.source, Channel.OTHER),
        created_at=so.created_at,
        customer=Customer(r.name, r.dial_phone, address),
        items=tuple(Item(i.name, i.qty, i.unit_price_fen) for i in so.items),
        total_fen=m.paid_total_fen,
        goods_value_fen=goods,
        delivery_fee_fen=delivery,
        note=so.note,
        pickup_no=so.display_label(),
        scheduled_at=so.expected_delivery_at if so.is_reservation else None,
        dispatch_mode=DispatchMode.MANUAL,
        received_at=received_at,
        extra={
            "source": so.source,
            "source_order_id": so.source_order_id,
            "source_store_ref": so.source_store_ref,
            "fulfilment": so.fulfilment.value,
            "dispatch": so.fulfilment.dispatches,
            "needs_geocode": not has_point,
            "address_text": r.address,
        },
    )
