"""Queries for the durable print queue (table ``print_jobs``).

A job id is idempotent (``order:printer:template:reason:n``): inserting an existing id is
a no-op, so a retried submit never makes a second ticket. A job moves
queued -> printing -> done, and a job is only sent after ``claim`` moved it from queued to
printing in a committed transaction; one still ``printing`` at start-up may or may not
have printed and goes to ``held`` for a human. States: queued, printing, done, held,
discarded. Synchronous; call through ``Database.run`` / ``asyncio.to_thread``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.core.storage import tables as t

QUEUED, PRINTING, DONE, HELD, DISCARDED = "queued", "printing", "done", "held", "discarded"


@dataclass(frozen=True, slots=True)
class PrintJob:
    id: str
    order_id: int | None
    printer: str
    template: str
    reason: str
    copies: int
    state: str
    created_at: datetime
    updated_at: datetime
    tries: int = 0
    error: str = ""
    payload: bytes | None = field(default=None, repr=False)


def _job(r: Row[Any]) -> PrintJob:
    return PrintJob(
        r.id,
        r.order_id,
        r.printer,
        r.template,
        r.reason,
        r.copies,
        r.state,
        r.created_at,
        r.updated_at,
        r.tries,
        r.error,
        r.payload,
    )


class PrintRepo:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def insert(self, job: PrintJob) -> bool:
        """Store ``job``; False when that id already exists (nothing changes)."""
        row = {k: getattr(job, k) for k in PrintJob.__slots__}
        row["error"] = row["error"][:300]
        try:
            with self.engine.begin() as c:
                c.execute(insert(t.print_jobs).values(**row))
        except IntegrityError:
            return False
        return True

    def get(self, job_id: str) -> PrintJob | None:
        with self.engine.connect() as c:
            r = c.execute(select(t.print_jobs).where(t.print_jobs.c.id == job_id)).first()
        return _job(r) if r else None

    def in_state(self, *states: str, order_id: int | None = None) -> list[PrintJob]:
        q = select(t.print_jobs).where(t.print_jobs.c.state.in_(states))
        if order_id is not None:
            q = q.where(t.print_jobs.c.order_id == order_id)
        with self.engine.connect() as c:
            rows = c.execute(q.order_by(t.print_jobs.c.created_at, t.print_jobs.c.id)).all()
        return [_job(r) for r in rows]

    def for_order(self, order_id: int) -> list[PrintJob]:
        q = select(t.print_jobs).where(t.print_jobs.c.order_id == order_id)
        with self.engine.connect() as c:
            return [_job(r) for r in c.execute(q.order_by(t.print_jobs.c.created_at)).all()]

    def count_like(self, prefix: str) -> int:
        """How many jobs have an id starting with ``prefix`` (for the next reprint n)."""
        q = select(func.count()).where(t.print_jobs.c.id.startswith(prefix, autoescape=True))
        with self.engine.connect() as c:
            return int(c.execute(q).scalar_one())

    def _move(self, job_id: str | None, frm: tuple[str, ...], now: datetime, **vals: Any) -> int:
        q = update(t.print_jobs).where(t.print_jobs.c.state.in_(frm))
        if job_id is not None:
            q = q.where(t.print_jobs.c.id == job_id)
        if "error" in vals:
            vals["error"] = vals["error"][:300]
        with self.engine.begin() as c:
            return c.execute(q.values(updated_at=now, **vals)).rowcount

    def claim(self, job_id: str, printer: str, now: datetime) -> bool:
        """queued -> printing (committed before any byte is sent); False if not queued."""
        return (
            self._move(
                job_id,
                (QUEUED,),
                now,
                state=PRINTING,
                printer=printer,
                tries=t.print_jobs.c.tries + 1,
            )
            == 1
        )

    def finish(self, job_id: str, now: datetime) -> None:
        self._move(job_id, (PRINTING,), now, state=DONE, error="")

    def requeue(self, job_id: str, error: str, now: datetime) -> None:
        self._move(job_id, (PRINTING,), now, state=QUEUED, error=error)

    def hold(
        self, job_id: str, error: str, now: datetime, frm: tuple[str, ...] = (QUEUED, PRINTING)
    ) -> bool:
        return self._move(job_id, frm, now, state=HELD, error=error) == 1

    def hold_all(self, frm: str, error: str, now: datetime) -> int:
        return self._move(None, (frm,), now, state=HELD, error=error)

    def hold_older_than(self, cutoff: datetime, error: str, now: datetime) -> int:
        q = (
            update(t.print_jobs)
            .where(t.print_jobs.c.state == QUEUED, t.print_jobs.c.created_at < cutoff)
            .values(state=HELD, error=error[:300], updated_at=now)
        )
        with self.engine.begin() as c:
            return c.execute(q).rowcount

    def release(self, job_ids: list[str], now: datetime) -> int:
        """held -> queued with a fresh ``created_at`` (a human said: print them now)."""
        q = (
            update(t.print_jobs)
            .where(t.print_jobs.c.state == HELD, t.print_jobs.c.id.in_(job_ids))
            .values(state=QUEUED, error="", created_at=now, updated_at=now)
        )
        with self.engine.begin() as c:
            return c.execute(q).rowcount

    def discard(self, job_ids: list[str], now: datetime) -> int:
        q = (
            update(t.print_jobs)
            .where(t.print_jobs.c.state == HELD, t.print_jobs.c.id.in_(job_ids))
            .values(state=DISCARDED, updated_at=now)
        )
        with self.engine.begin() as c:
            return c.execute(q).rowcount
