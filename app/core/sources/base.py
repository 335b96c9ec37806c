"""The SourceConnector protocol, the values it trades in, and the SourceError tree.

Connectors raise only ``SourceError`` subclasses; httpx errors never escape (see
``http.SourceHttp``). Money is fen, coordinates GCJ-02 and times aware UTC on this side
of the connector; the platform's units live only inside its ``mapping`` module.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from app.core.domain.source_order import (
    FulfilmentMode,
    RefundState,
    SourceOrder,
    SourceOrderState,
)
from app.core.domain.status import DeliveryStatus

if TYPE_CHECKING:
    from app.core.clock import Clock
    from app.core.sources.http import SourceHttp
    from app.core.sources.rules import SourceRules


# ---------------------------------------------------------------------------- errors
class SourceError(Exception):
    """Base of everything a connector may raise."""

    retryable = False

    def __init__(self, source: str, message: str, *, code: str | int | None = None) -> None:
        suffix = f" (code {code})" if code is not None else ""
        super().__init__(f"[{source}] {message}{suffix}")
        self.source = source
        self.message = message
        self.code = code


class SourceAuthError(SourceError):
    """Signature, key or token refused: configuration (or an expired token), not luck."""


class SourceRateLimitedError(SourceError):
    retryable = True

    def __init__(
        self,
        source: str,
        message: str,
        *,
        code: str | int | None = None,
        retry_after_s: float = 1.0,
    ) -> None:
        super().__init__(source, message, code=code)
        self.retry_after_s = retry_after_s


class SourceRejectedError(SourceError):
    """The platform understood and said no (validation, order state)."""


class SourceNotFoundError(SourceRejectedError):
    """The platform has no such order (or no order under that day number)."""


class SourceUnavailableError(SourceError):
    """Not reached, or failed before acting: safe to try again."""

    retryable = True


class SourceOutcomeUnknownError(SourceError):
    """A mutating call may or may not have happened; platforms tolerate repeats of the
    same confirm or sync-back, so the outbox simply sends it again."""

    retryable = True


# ---------------------------------------------------------------------------- pushes
class PushKind(StrEnum):
    """What a push means for our copy of the order."""

    ORDER = "order"  # a full order (new, confirmed, or re-sent): upsert it
    STATE = "state"  # the order's state or flags changed; no full body
    DELIVERY = "delivery"  # the platform's own rider moved (platform delivery)
    HEARTBEAT = "heartbeat"  # verification/heartbeat: answer, store nothing
    OTHER = "other"  # understood, nothing to do (shop info, 催单, ...)


@dataclass(frozen=True, slots=True)
class PushRequest:
    """An inbound HTTP request, transport-neutral (the listener or the hub fills it)."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class PushEvent:
    kind: PushKind
    dedupe_key: str
    source_order_id: str = ""
    order: SourceOrder | None = None  # ORDER kind: the parsed order
    state: SourceOrderState | None = None  # STATE kind: the new state, if it changed
    cancel_requested: bool | None = None
    refund_state: RefundState | None = None
    # DELIVERY kind: what the platform's delivery messages say about who delivers
    fulfilment: FulfilmentMode | None = None
    platform_status: DeliveryStatus | None = None  # the platform rider, unified
    raw_type: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class PushResult:
    """Parsed events plus the exact reply the platform expects."""

    events: tuple[PushEvent, ...]
    reply_status: int = 200
    reply_body: bytes = b""
    reply_content_type: str = "application/json"


class PushRejected(Exception):
    """A push failed verification; reply ``reply_status``/``reply_body`` and store nothing."""

    def __init__(self, reason: str, reply_status: int = 403, reply_body: bytes = b"") -> None:
        super().__init__(reason)
        self.reply_status = reply_status
        self.reply_body = reply_body


# ---------------------------------------------------------------------------- sync-back
@dataclass(frozen=True, slots=True)
class SyncBack:
    """One change of the live delivery attempt, to be reported to the platform.

    Outbox key: ``(source_order_id, attempt_id, status)``."""

    source_order_id: str
    attempt_id: str  # our attempt key: the platform sees it as the waybill when no carrier id
    status: DeliveryStatus
    carrier: str  # our carrier id ("dada", "self", ...)
    carrier_order_id: str = ""
    rider_name: str = ""
    rider_phone: str = ""
    lat: float | None = None  # GCJ-02; the shop's point when the carrier gave none
    lng: float | None = None
    at: datetime | None = None


# ---------------------------------------------------------------------------- context
@dataclass(frozen=True, slots=True)
class SourceContext:
    """Everything a connector needs, handed in by the composition root."""

    source: str
    base_url: str
    credentials: Mapping[str, str]
    http: SourceHttp
    clock: Clock
    push_base_url: str = ""  # the public URL configured in the platform console
    options: Mapping[str, object] = field(default_factory=dict)  # [~]/[?] knobs, see rules
    # called (off the event loop: it may block on the keyring) with the tokens a connector
    # refreshed, ``{"access_token": ..., "refresh_token": ...}``, so they survive a restart;
    # None (tests, rehearsal, the settings' test call) keeps them on the connector only.
    # Not compared: a rebuilt context with the same settings is the same context.
    on_tokens: Callable[[Mapping[str, str]], None] | None = field(default=None, compare=False)


@runtime_checkable
class SourceConnector(Protocol):
    id: str
    rules: SourceRules

    def parse_push(self, kind: str, request: PushRequest) -> PushResult: ...

    async def get_order(self, source_order_id: str) -> SourceOrder: ...

    async def confirm(self, source_order_id: str) -> None: ...

    async def reject(self, source_order_id: str, reason: str) -> None: ...

    async def pull(self, known: Collection[str] = ()) -> list[SourceOrder]:
        """Orders the platform has that pushes may have missed (today's, unprocessed);
        ``known`` ids may be skipped."""
        ...

    async def refresh(self, source_order_ids: Sequence[str]) -> list[SourceOrder]:
        """Re-read open orders to catch cancels and refunds missed while offline."""
        ...

    async def sync_back(self, change: SyncBack) -> None: ...
