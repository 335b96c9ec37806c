"""Privacy retention (PIPL): customers' full phone numbers and addresses are kept only
``[privacy] retain_days`` (default 90). A nightly job masks them on older orders:

- ``orders``: the phone becomes the masked phone (``138****5678``), the name keeps its
  surname, the address keeps its district (``上海市浦东新区``), coordinates are rounded to
  0.01° (about 1 km), phone numbers in the note are masked and the board's search text is
  rebuilt from what is left. Amounts, items, distance, dates and states stay for reports.
- ``source_orders`` (美团/饿了么 …): the platform's raw payload is dropped and the stored
  recipient is masked the same way.
- ``print_jobs``: the rendered ticket bytes (they carry the address) of finished jobs are
  dropped.

Each batch is its own short transaction (``BATCH`` rows), so the POS never waits behind a
long write lock; a redacted row carries the marker ``privacy_redacted_at`` and is never
picked again (idempotent, resumable after a power cut). The updates fire the hub upload
triggers (migration 0007), so a joined hub receives the masked rows too. The export reads
the masked columns, so an old order is exported masked."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from app.core.clock import LOCAL_TZ, Clock
from app.core.privacy import mask_name, mask_phone, mask_phones_in
from app.core.storage import tables as t

log = logging.getLogger(__name__)

MARKER = "privacy_redacted_at"
BATCH = 200
NIGHTLY_AT = time(3, 30)  # Beijing time: the counter is closed
FIRST_RUN_DELAY_S = 300.0  # a PC switched off at night still runs it once a day after boot
_FINISHED_PRINTS = ("done", "discarded")

# province/city prefix then the first district-level unit; a plain city as the fallback
_DISTRICT = re.compile(r"^(.{0,12}?(?:省|自治区)?.{0,10}?(?:市|州|盟)?.{0,10}?(?:区|县|旗))")
_CITY = re.compile(r"^(.{0,12}?市)")
_PREFECTURE = re.compile(r"^(.{0,12}?(?:州|盟))")


def district_of(address: str) -> str:
    """'上海市浦东新区世纪大道100号3楼' -> '上海市浦东新区'; '' when none can be told."""
    a = address.strip()
    for pat in (_DISTRICT, _CITY, _PREFECTURE):
        m = pat.match(a)
        if m:
            return m.group(1)
    return ""


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 2)


def redacted_order(m: Any, now: datetime) -> dict[str, Any]:
    """The new values of one ``orders`` row (``m``: its mapping)."""
    name = mask_name(m["customer_name"])
    phone = mask_phone(m["customer_phone"])
    address = district_of(m["address"])
    note = mask_phones_in(m["note"])
    parts = (m["pos_order_id"], m["pickup_no"], name, phone, address, note)
    return {
        "customer_name": name,
        "customer_phone": phone,
        "address": address,
        "lat": _round(m["lat"]),
        "lng": _round(m["lng"]),
        "orig_lat": _round(m["orig_lat"]),
        "orig_lng": _round(m["orig_lng"]),
        "note": note,
        "search_text": " ".join(parts).lower()[:800],
        "extra": {**(m["extra"] or {}), MARKER: now.isoformat()},
    }


def redacted_source_doc(doc: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A ``source_orders.doc`` with its recipient masked (the rest kept)."""
    r = dict(doc.get("recipient") or {})
    if r:
        r["name"] = mask_name(r.get("name") or "")
        r["phones"] = [
            {**p, "number": mask_phone(p.get("number") or "")} for p in r.get("phones") or []
        ]
        district = district_of(r.get("address") or "")
        r["address"] = district
        r["address_geocoded"] = district_of(r.get("address_geocoded") or "") or district
        r["lat"] = _round(r.get("lat"))
        r["lng"] = _round(r.get("lng"))
    return {**doc, "recipient": r, MARKER: now.isoformat()}


@dataclass
class RetentionResult:
    orders: int = 0
    source_orders: int = 0
    print_jobs: int = 0

    @property
    def total(self) -> int:
        return self.orders + self.source_orders + self.print_jobs


def seconds_until_nightly(now: datetime) -> float:
    """Seconds from ``now`` (aware) to the next ``NIGHTLY_AT`` in Beijing time."""
    here = now.astimezone(LOCAL_TZ)
    at = datetime.combine(here.date(), NIGHTLY_AT, tzinfo=LOCAL_TZ)
    if at <= here:
        at = datetime.combine(here.date() + timedelta(days=1), NIGHTLY_AT, tzinfo=LOCAL_TZ)
    return (at - here).total_seconds()


class RetentionJob:
    """Masks what is older than ``retain_days()``; ``start`` runs it nightly."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        retain_days: Callable[[], int],
        *,
        batch: int = BATCH,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.retain_days = retain_days
        self.batch = batch
        self.last: RetentionResult | None = None
        self._task: asyncio.Task[None] | None = None

    def cutoff(self) -> datetime:
        return self.clock.now() - timedelta(days=self.retain_days())

    # ------------------------------------------------------------------ one batch each
    def orders_batch(self, cutoff: datetime) -> int:
        o = t.orders
        now = self.clock.now()
        with self.engine.begin() as c:
            rows = c.execute(
                select(o)
                .where(o.c.received_at < cutoff, o.c.extra[MARKER].as_string().is_(None))
                .order_by(o.c.id)
                .limit(self.batch)
            ).all()
            for r in rows:
                c.execute(update(o).where(o.c.id == r.id).values(**redacted_order(r._mapping, now)))
        return len(rows)

    def source_orders_batch(self, cutoff: datetime) -> int:
        so = t.source_orders
        now = self.clock.now()
        with self.engine.begin() as c:
            rows = c.execute(
                select(so.c.id, so.c.doc)
                .where(so.c.created_at < cutoff, so.c.doc[MARKER].as_string().is_(None))
                .order_by(so.c.id)
                .limit(self.batch)
            ).all()
            for r in rows:
                c.execute(
                    update(so)
                    .where(so.c.id == r.id)
                    .values(doc=redacted_source_doc(r.doc, now), raw_payload={})
                )
        return len(rows)

    def print_jobs_batch(self, cutoff: datetime) -> int:
        pj = t.print_jobs
        with self.engine.begin() as c:
            ids = _ids(
                c,
                select(pj.c.id)
                .where(
                    pj.c.created_at < cutoff,
                    pj.c.state.in_(_FINISHED_PRINTS),
                    pj.c.payload.is_not(None),
                )
                .limit(self.batch),
            )
            if ids:
                c.execute(update(pj).where(pj.c.id.in_(ids)).values(payload=None))
        return len(ids)

    # ------------------------------------------------------------------ whole runs
    def run_once(self) -> RetentionResult:
        """Every batch until nothing is left (synchronous: tests and the CLI)."""
        cutoff = self.cutoff()
        res = RetentionResult()
        while n := self.orders_batch(cutoff):
            res.orders += n
        while n := self.source_orders_batch(cutoff):
            res.source_orders += n
        while n := self.print_jobs_batch(cutoff):
            res.print_jobs += n
        self._done(res)
        return res

    async def run(self) -> RetentionResult:
        """The same off the event loop, one batch per thread hop: writers (the POS
        intake) get the lock between batches."""
        cutoff = self.cutoff()
        res = RetentionResult()
        while n := await asyncio.to_thread(self.orders_batch, cutoff):
            res.orders += n
        while n := await asyncio.to_thread(self.source_orders_batch, cutoff):
            res.source_orders += n
        while n := await asyncio.to_thread(self.print_jobs_batch, cutoff):
            res.print_jobs += n
        self._done(res)
        return res

    def _done(self, res: RetentionResult) -> None:
        self.last = res
        if res.total:
            log.info(
                "privacy retention (%d days): masked %d orders, %d source orders, "
                "dropped %d ticket images",
                self.retain_days(),
                res.orders,
                res.source_orders,
                res.print_jobs,
            )

    # ------------------------------------------------------------------ nightly
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="privacy-retention")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        delay = FIRST_RUN_DELAY_S
        while True:
            await asyncio.sleep(delay)
            try:
                await self.run()
            except Exception:  # a locked or full disk: try again next night
                log.exception("privacy retention run failed; next try tonight")
            delay = seconds_until_nightly(self.clock.now())


def _ids(c: Connection, q: Any) -> list[Any]:
    return [r[0] for r in c.execute(q)]
