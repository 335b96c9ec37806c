"""Tracking: a polling reconciler for every non-terminal attempt.

Each carrier is polled through its own token bucket (``rules.rate_limit_per_s``), rider
positions in batches of ``rules.position_batch``, at an adaptive interval around
``rules.poll_interval_s`` (faster right after dispatch and while waiting for a rider,
slower when nothing has changed for a while). Every snapshot goes through
``domain.apply_update``; accepted changes are saved, logged (deduplicated) and published,
and ``reactions.Reactions`` reacts to that event (order state, failover, race losers).
Alerts: no_rider, stale, carrier_error here; rider_cancelled / returning in reactions.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.core.carriers.base import (
    CarrierError,
    NotFoundError,
    RateLimitedError,
    RiderPosition,
    StatusSnapshot,
)
from app.core.dispatch.context import DispatchContext
from app.core.dispatch.ratelimit import TokenBucket
from app.core.domain import DeliveryAttempt, DeliveryStatus, Rider, apply_update
from app.core.domain.status import RIDER_ASSIGNED
from app.core.events import AlertKind, AlertRaised, OrderChanged, RiderMoved

log = logging.getLogger(__name__)
S = DeliveryStatus
CARRIER_ERROR_AFTER = 3  # consecutive failed polls before a carrier_error alert
ALERT_CHECK_S = 2.0


@dataclass
class _Watch:
    att: DeliveryAttempt
    since: float  # monotonic, when tracking began
    due: float
    changed: float
    fails: int = 0


class Tracker:
    """Polls every watched attempt and applies the answers; see the module docstring."""

    def __init__(self, ctx: DispatchContext) -> None:
        self.ctx = ctx
        self.watched: dict[int, _Watch] = {}
        self.buckets: dict[str, TokenBucket] = {}
        self.scale = 1.0  # tests shrink every interval
        self._alerted: set[tuple[int, str]] = set()
        self._task: asyncio.Task[None] | None = None
        self._rounds: dict[str, asyncio.Task[None]] = {}
        self._last_alert_check = 0.0

    def start(self) -> None:
        self._task = self.ctx.spawn(self._loop(), "tracking")

    async def stop(self) -> None:
        for t in self._rounds.values():
            t.cancel()
        await asyncio.gather(*self._rounds.values(), return_exceptions=True)
        self._rounds.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def watch(self, att: DeliveryAttempt, *, poll_at_once: bool = False) -> None:
        """Track ``att``; ``poll_at_once`` after a restart: catch up first."""
        assert att.id is not None
        if att.status.terminal or att.carrier not in self.ctx.gateway.entries:
            return
        now = self.ctx.clock.monotonic()
        w = self.watched.get(att.id)
        if w is None:
            w = self.watched[att.id] = _Watch(att, now, now, now)
        w.att = att
        w.due = now if poll_at_once else now + self.interval(w, now)

    def bucket(self, cid: str) -> TokenBucket:
        b = self.buckets.get(cid)
        if b is None:
            rate = self.ctx.gateway.get(cid).rules.rate_limit_per_s
            b = self.buckets[cid] = TokenBucket(rate, self.ctx.clock.monotonic)
        return b

    def interval(self, w: _Watch, now: float) -> float:
        base = float(self.ctx.gateway.get(w.att.carrier).rules.poll_interval_s)
        fast = max(2.0, base / 3)
        if w.att.status is S.SUBMITTING or now - w.since < 120:
            v = fast  # right after dispatch
        elif w.att.status is S.PENDING_ACCEPT:
            v = max(2.0, base / 2)  # waiting for a rider: acceptance is the news
        elif now - w.changed > 600:
            v = min(base * 2, 120.0)  # idle: back off
        else:
            v = base
        return v * self.scale

    # ------------------------------------------------------------------ loop
    async def _loop(self) -> None:
        while True:
            now = self.ctx.clock.monotonic()
            due = [w for w in self.watched.values() if w.due <= now]
            for w in due:
                w.due = now + 3600  # not again until this round re-schedules it
            by: dict[str, list[_Watch]] = {}
            for w in due:
                by.setdefault(w.att.carrier, []).append(w)
            for cid, ws in by.items():
                # each carrier polls at its own pace: a slow (rate-limited) carrier's round
                # never holds the others back
                running = self._rounds.get(cid)
                if running is not None and not running.done():
                    for w in ws:
                        w.due = now  # still due; taken when that carrier's round ends
                    continue
                self._rounds[cid] = asyncio.create_task(self._round(cid, ws), name=f"track-{cid}")
            if now - self._last_alert_check >= ALERT_CHECK_S * self.scale:
                self._last_alert_check = now
                self.check_alerts()
            busy = {c for c, t in self._rounds.items() if not t.done()}
            nxt = min(
                (w.due for w in self.watched.values() if w.att.carrier not in busy),
                default=now + 1.0,
            )
            await asyncio.sleep(min(1.0, max(0.05, nxt - self.ctx.clock.monotonic())))

    async def _round(self, cid: str, ws: list[_Watch]) -> None:
        try:
            for w in ws:
                await self.poll_now(w.att)
            riders = [
                w.att for w in ws if w.att.id in self.watched and w.att.status in RIDER_ASSIGNED
            ]
            if riders:
                await self.positions(cid, riders)
        except Exception:
            log.exception("tracking round for %s failed", cid)
            for w in ws:
                self.watch(w.att)

    async def poll_now(self, att: DeliveryAttempt) -> DeliveryAttempt:
        """Query one attempt now (rate limited) and apply the answer."""
        assert att.id is not None
        cur = await self.ctx.db.run(self.ctx.db.get_attempt, att.id) or att
        if cur.status.terminal or cur.carrier not in self.ctx.gateway.entries:
            self.watched.pop(att.id, None)
            return cur
        entry = self.ctx.gateway.get(cur.carrier)
        await self.bucket(cur.carrier).acquire()
        try:
            snap = await entry.adapter.query(cur)
        except CarrierError as e:
            self._poll_failed(cur, e)
            return cur
        w = self.watched.get(att.id)
        if w is not None:
            w.fails = 0
        cur = await self.apply(cur, snap, "poll")
        self.watch(cur)
        return cur

    def _poll_failed(self, att: DeliveryAttempt, e: CarrierError) -> None:
        w = self.watched.get(att.id) if att.id is not None else None
        if w is None:
            return
        w.fails += 1
        now = self.ctx.clock.monotonic()
        w.due = now + (
            e.retry_after_s if isinstance(e, RateLimitedError) else self.interval(w, now)
        )
        if isinstance(e, NotFoundError) and att.status is S.SUBMITTING:
            return  # the resolver owns this one
        if w.fails >= CARRIER_ERROR_AFTER:
            self.alert(att, AlertKind.CARRIER_ERROR, f"{att.carrier}: tracking failing ({e})")

    async def positions(self, cid: str, atts: list[DeliveryAttempt]) -> None:
        entry = self.ctx.gateway.get(cid)
        step = max(1, entry.rules.position_batch)
        for i in range(0, len(atts), step):
            chunk = atts[i : i + step]
            await self.bucket(cid).acquire()
            try:
                found = await entry.adapter.rider_positions(chunk)
            except CarrierError as e:
                log.info("rider positions from %s: %s", cid, e)
                continue
            keys = {a.idempotency_key: a for a in chunk}
            for p in found:
                a = keys.get(p.idempotency_key)
                if a is not None and (a.rider.lat, a.rider.lng) != (p.lat, p.lng):
                    await self._moved(a, p)

    async def _moved(self, a: DeliveryAttempt, p: RiderPosition) -> None:
        cur = await self.ctx.db.run(self.ctx.db.get_attempt, a.id) or a
        rider = dataclasses.replace(
            cur.rider,
            lat=p.lat,
            lng=p.lng,
            at=p.at or self.ctx.clock.now(),
            name=cur.rider.name or p.name,
            phone=cur.rider.phone or p.phone,
        )
        cur = cur.with_(rider=rider)
        await self.ctx.db.run(self.ctx.db.save_attempt, cur, self.ctx.clock.now())
        assert cur.id is not None
        if cur.id in self.watched:
            self.watched[cur.id].att = cur
        self.ctx.bus.publish(RiderMoved(cur.order_id, cur.id, p.lat, p.lng))

    # ------------------------------------------------------------------ apply
    async def apply(
        self, att: DeliveryAttempt, snap: StatusSnapshot, source: str
    ) -> DeliveryAttempt:
        """Offer one carrier report to the attempt; save, log and publish (the reactions
        follow from the published ``AttemptStatusChanged``)."""
        assert att.id is not None
        db, now = self.ctx.db, self.ctx.clock.now()
        cur = await db.run(db.get_attempt, att.id) or att
        tr = apply_update(cur.status, snap.status, reassignment=snap.reassignment)
        new = _merge(cur, snap, now)
        if tr.accepted:
            new = _move(new, tr.status, tr.clear_rider, snap, now)
        elif snap.rider is not None and new.status in RIDER_ASSIGNED:
            new = new.with_(rider=_rider(new.rider, snap.rider))
        await db.run(db.save_attempt, new, now)
        assert new.id is not None
        self._alerted.discard((new.id, "stale"))
        if new.id in self.watched:
            self.watched[new.id].att = new
            if tr.accepted:
                self.watched[new.id].changed = self.ctx.clock.monotonic()
        if tr.accepted or (snap.status is S.UNKNOWN and snap.raw_status != cur.raw_status):
            await self._log(cur, new, snap, tr.reason, source)
        if tr.accepted:
            if new.status.terminal:
                self.watched.pop(new.id, None)
            self.ctx.published(new, cur.status)
        return new

    async def _log(
        self,
        cur: DeliveryAttempt,
        new: DeliveryAttempt,
        snap: StatusSnapshot,
        reason: str,
        source: str,
    ) -> None:
        at = snap.at.isoformat() if snap.at else ""
        key = f"st:{new.id}:{snap.raw_status}:{new.status}:{at}:{new.rider.name}"[:200]
        msg = f"{new.carrier}: {cur.status} -> {new.status} ({reason}; raw {snap.raw_status})"
        data = {
            "attempt_id": new.id,
            "status": new.status.value,
            "raw": snap.raw_status,
            "source": source,
            "rider": new.rider.name,
        }
        db = self.ctx.db
        added = await db.run(
            db.append_event,
            new.order_id,
            self.ctx.clock.now(),
            "status",
            new.carrier,
            msg,
            data,
            key,
        )
        if added:
            self.ctx.bus.publish(OrderChanged(new.order_id))

    # ------------------------------------------------------------------ alerts
    def alert(self, att: DeliveryAttempt, kind: AlertKind, message: str) -> None:
        assert att.id is not None
        k = (att.id, kind)
        if k in self._alerted:
            return
        self._alerted.add(k)
        self.ctx.bus.publish(AlertRaised(att.order_id, kind, message))

    def check_alerts(self) -> None:
        now = self.ctx.clock.now()
        no_rider_s = self.ctx.alerts.no_rider_after_min * 60
        stale_s = self.ctx.settings.stale_tracking_s
        for w in list(self.watched.values()):
            a = w.att
            since = a.dispatched_at or a.created_at
            waiting = a.status in (S.SUBMITTING, S.PENDING_ACCEPT)
            if waiting and since is not None and (now - since).total_seconds() > no_rider_s:
                mins = int((now - since).total_seconds() // 60)
                self.alert(a, AlertKind.NO_RIDER, f"{a.carrier}: no rider after {mins} min")
            seen = a.last_seen_at or a.dispatched_at
            if seen is not None and (now - seen).total_seconds() > stale_s:
                self.alert(
                    a,
                    AlertKind.STALE,
                    f"{a.carrier}: no news for {int((now - seen).total_seconds())}s",
                )


def _merge(a: DeliveryAttempt, snap: StatusSnapshot, now: datetime) -> DeliveryAttempt:
    """Fields a report may refresh without moving the status (money only from queries:
    callbacks never reach here, they trigger a query)."""
    ch: dict[str, Any] = {"last_seen_at": now, "raw_status": (snap.raw_status or a.raw_status)[:40]}
    for f in ("actual_fee_fen", "tip_fen", "insurance_fee_fen", "cancel_fee_fen", "refund_fen"):
        v = getattr(snap, f)
        if v is not None:
            ch[f] = v
    if snap.carrier_order_id and not a.carrier_order_id:
        ch["carrier_order_id"] = snap.carrier_order_id
    if snap.tracking_url:
        ch["tracking_url"] = snap.tracking_url
    if snap.exception:
        ch["exception"] = snap.exception[:200]
    return a.with_(**ch)


def _move(
    a: DeliveryAttempt, st: DeliveryStatus, clear: bool, snap: StatusSnapshot, now: datetime
) -> DeliveryAttempt:
    at = snap.at or now
    ch: dict[str, Any] = {"status": st}
    if clear:
        ch["rider"] = Rider()
    elif snap.rider is not None:
        ch["rider"] = _rider(a.rider, snap.rider)
    if st is S.ACCEPTED and (a.accepted_at is None or snap.reassignment):
        ch["accepted_at"] = at
    if st is S.PICKED_UP and a.picked_up_at is None:
        ch["picked_up_at"] = at
    if st.terminal:
        ch["finished_at"] = at
    if st is S.CANCELLED:
        ch["cancelled_by"] = snap.cancelled_by or a.cancelled_by
        ch["cancel_reason"] = (snap.cancel_reason or a.cancel_reason)[:200]
    return a.with_(**ch)


def _rider(old: Rider, new: Rider) -> Rider:
    return Rider(
        new.name or old.name,
        new.phone or old.phone,
        new.lat if new.lat is not None else old.lat,
        new.lng if new.lng is not None else old.lng,
        new.at or old.at,
    )
