"""Dispatch: quote fan-out, policy, one-click and automatic dispatch, failover, tips,
cancel and tracking. ``Dispatcher`` below is the surface the service exposes."""

from __future__ import annotations

from typing import Protocol

from app.core.domain import DeliveryAttempt, Quote


class Dispatcher(Protocol):
    async def start(self) -> None:
        """Resume timers and polling for every non-terminal attempt from the database."""

    async def stop(self) -> None:
        """Finish or persist in-flight work."""

    async def collect_quotes(self, order_id: int) -> list[Quote]:
        """Fan out to every enabled carrier; QuoteCollected events stream as they arrive."""

    async def dispatch(
        self, order_id: int, carrier: str | None = None, *, actor: str = "cashier"
    ) -> DeliveryAttempt:
        """One click: ``carrier`` picks a quote's carrier, None means "best" by policy."""

    async def on_order_received(self, order_id: int) -> None:
        """Auto-dispatch hook (immediately or at expected-ready time minus lead time)."""

    async def cancel_preview(self, order_id: int) -> int | None:
        """The fee (fen) a cancel would cost now; None when it cannot be cancelled."""

    async def cancel(self, order_id: int, reason: str, *, actor: str = "cashier") -> int:
        """Cancel the live deliveries (confirmed by query), then the order; fees in fen."""

    async def add_tip(self, order_id: int, amount_fen: int, *, actor: str = "cashier") -> int:
        """Raise the live delivery's tip within the carrier's rules; the new total."""

    async def redispatch(self, order_id: int, *, actor: str = "cashier") -> DeliveryAttempt:
        """Cancel the live delivery (confirmed) and dispatch to another carrier."""

    async def mark_self_delivered(self, order_id: int, *, actor: str = "cashier") -> None:
        """The shop's own rider delivers (自配送); a live carrier delivery is cancelled."""

    async def refresh(self, order_id: int) -> None:
        """Poll the live attempt now."""
