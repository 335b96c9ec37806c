"""The CarrierAdapter protocol, the values it trades in, and the CarrierError tree.

Adapters raise only ``CarrierError`` subclasses; httpx errors never escape (see
``http.CarrierHttp``). Money is fen, coordinates GCJ-02 and times aware UTC on this side
of the adapter; the carrier's units live only inside its ``mapping`` module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from app.core.domain import CancelledBy, DeliveryAttempt, DeliveryStatus, Order, Quote, Rider, Store

if TYPE_CHECKING:
    from app.core.carriers.http import CarrierHttp
    from app.core.carriers.rules import CarrierRules
    from app.core.clock import Clock


# ---------------------------------------------------------------------------- errors
class CarrierError(Exception):
    """Base of everything an adapter may raise."""

    retryable = False

    def __init__(self, carrier: str, message: str, *, code: str | int | None = None) -> None:
        super().__init__(f"[{carrier}] {message}" + (f" (code {code})" if code is not None else ""))
        self.carrier = carrier
        self.message = message
        self.code = code


class AuthError(CarrierError):
    """Credentials or signature refused: configuration, not luck."""


class RateLimitedError(CarrierError):
    retryable = True

    def __init__(
        self,
        carrier: str,
        message: str,
        *,
        code: str | int | None = None,
        retry_after_s: float = 1.0,
    ) -> None:
        super().__init__(carrier, message, code=code)
        self.retry_after_s = retry_after_s


class RejectedError(CarrierError):
    """The carrier understood and said no (validation, balance, state)."""


class NotFoundError(RejectedError):
    """The carrier has no order under that key (used to resolve outcome-unknown)."""


class InsufficientBalanceError(RejectedError):
    """Prepaid balance too low: dispatch elsewhere and alert the manager."""


class UnavailableError(CarrierError):
    """Not reached, or it failed before acting: safe to try again or elsewhere."""

    retryable = True


class OutcomeUnknownError(CarrierError):
    """A mutating call may or may not have happened: resolve by query, never resend."""


# ---------------------------------------------------------------------------- values
@dataclass(frozen=True, slots=True)
class CreateResult:
    carrier_order_id: str
    fee_fen: int | None = None
    distance_m: int | None = None
    tracking_url: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    """What the carrier says about one attempt right now (query or callback)."""

    status: DeliveryStatus
    raw_status: str
    carrier_order_id: str = ""
    idempotency_key: str = ""
    rider: Rider | None = None
    at: datetime | None = None  # the carrier's event time, when it gives one
    reassignment: bool = False
    actual_fee_fen: int | None = None
    tip_fen: int | None = None
    insurance_fee_fen: int | None = None
    cancel_fee_fen: int | None = None
    refund_fen: int | None = None
    cancelled_by: CancelledBy | None = None
    cancel_reason: str = ""
    exception: str = ""
    tracking_url: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class RiderPosition:
    idempotency_key: str
    lat: float  # GCJ-02
    lng: float
    name: str = ""
    phone: str = ""
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """An inbound HTTP request, transport-neutral (the receiver fills it from aiohttp)."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class CallbackEvent:
    snapshot: StatusSnapshot
    event_id: str = ""  # carrier event id where one exists (Meituan exception_id ...)


@dataclass(frozen=True, slots=True)
class CallbackResult:
    """Parsed events plus the exact reply the carrier expects."""

    events: tuple[CallbackEvent, ...]
    reply_status: int = 200
    reply_body: bytes = b""
    reply_content_type: str = "application/json"


class CallbackRejected(Exception):
    """A callback failed verification; reply with ``reply_status``/``reply_body``."""

    def __init__(self, reason: str, reply_status: int = 403, reply_body: bytes = b"") -> None:
        super().__init__(reason)
        self.reply_status = reply_status
        self.reply_body = reply_body


# ---------------------------------------------------------------------------- context
@dataclass(frozen=True, slots=True)
class CarrierContext:
    """Everything an adapter needs, handed in by the composition root."""

    carrier: str
    base_url: str
    credentials: Mapping[str, str]
    store: Store
    http: CarrierHttp
    clock: Clock
    callback_url: str = ""  # per-carrier secret callback path, when the receiver runs
    options: Mapping[str, object] = field(default_factory=dict)  # [?] knobs, see rules


@runtime_checkable
class CarrierAdapter(Protocol):
    id: str
    rules: CarrierRules

    async def quote(self, order: Order, *, key: str = "") -> Quote:
        """Price ``order``. ``key`` is the idempotency key the create will carry (a
        carrier that ties a quote to our origin id needs it now); "" when no create
        follows (the settings' carrier test): the adapter then uses the POS order id."""
        ...

    async def create(
        self, order: Order, quote: Quote, attempt: DeliveryAttempt
    ) -> CreateResult: ...

    async def cancel_preview(self, attempt: DeliveryAttempt) -> int: ...

    async def cancel(self, attempt: DeliveryAttempt, reason: str) -> int: ...

    async def add_tip(self, attempt: DeliveryAttempt, amount_fen: int) -> int:
        """Raise the attempt's tip by ``amount_fen``; return the new total tip in fen."""
        ...

    async def query(self, attempt: DeliveryAttempt) -> StatusSnapshot: ...

    async def rider_positions(self, attempts: Sequence[DeliveryAttempt]) -> list[RiderPosition]: ...

    def parse_callback(self, request: CallbackRequest) -> CallbackResult: ...
