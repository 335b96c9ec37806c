"""Why an order needs a human (the board's attention lane), as a closed set of reasons.

The core decides the reason; the UI only translates it and offers the action that resolves
it (``OrderActions.resolves``). Nothing matches English text. The reason is stored in the
order's ``attention`` column as ``"<reason>|<detail>"`` (detail is the carrier's or the
engine's own words, kept for the timeline and the tooltip)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AttentionReason(StrEnum):
    NO_RIDER = "no_rider"  # no rider accepted within alerts.no_rider_after_min
    TRACKING_STALE = "tracking_stale"  # no status from the carrier for a while
    GOODS_RETURNING = "goods_returning"  # rider is bringing the goods back
    GOODS_RETURNED = "goods_returned"  # goods are back at the shop
    CANCEL_PENDING = "cancel_pending"  # a cancel the carrier has not confirmed yet
    CANCEL_UNCONFIRMED = "cancel_unconfirmed"  # our cancel was refused / not confirmed
    RIDER_CANCELLED = "rider_cancelled"  # the carrier or rider cancelled the delivery
    CARRIER_EXCEPTION = "carrier_exception"  # the carrier reported an exception
    CREATE_UNKNOWN = "create_unknown"  # create outcome unknown: never re-sent elsewhere
    DISPATCH_FAILED = "dispatch_failed"  # every carrier failed or refused
    INSUFFICIENT_BALANCE = "insufficient_balance"  # carrier account needs a top-up
    TOO_OLD = "too_old"  # found after a restart, too old to dispatch blindly
    PLATFORM_CANCELLED = "platform_cancelled"  # the order source cancelled / refunded
    PLATFORM_STALLED = "platform_stalled"  # platform delivery found no rider in time
    PLATFORM_CANCEL_FAILED = "platform_cancel_failed"  # platform cancelled, ours did not
    PLATFORM_TOOK_OVER = "platform_took_over"  # platform delivers now; ours still live
    SOURCE_CONFIRM_FAILED = "source_confirm_failed"  # 接单 on the platform failed: by hand
    CUSTOMER_CANCEL_REQUESTED = "customer_cancel_requested"  # decide on the platform
    CUSTOMER_REFUND_REQUESTED = "customer_refund_requested"  # decide on the platform
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Attention:
    reason: AttentionReason
    detail: str = ""

    def encode(self, limit: int = 200) -> str:
        return f"{self.reason.value}|{self.detail}"[:limit]

    @staticmethod
    def decode(text: str | None) -> Attention | None:
        """The stored form back; legacy free text (before reasons existed) is OTHER,
        except the few fixed phrases older builds wrote, which keep their reason."""
        if not text:
            return None
        code, sep, detail = text.partition("|")
        if sep:
            try:
                return Attention(AttentionReason(code), detail)
            except ValueError:
                pass
        return Attention(_LEGACY.get(text, AttentionReason.OTHER), text)


_LEGACY = {
    "goods returning": AttentionReason.GOODS_RETURNING,
    "goods returned to the shop": AttentionReason.GOODS_RETURNED,
    "no rider yet": AttentionReason.NO_RIDER,
    "tracking stale": AttentionReason.TRACKING_STALE,
    "cancel pending": AttentionReason.CANCEL_PENDING,
    "every eligible carrier failed": AttentionReason.DISPATCH_FAILED,
}
