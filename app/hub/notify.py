"""Wake-ups across hub processes: a push committed by any process sends
``NOTIFY jupei_hub_push, '<store_id>'``; each process LISTENs on one connection and wakes
its long-polls for that store. If the listening connection drops, waiters still re-check
the database every ``recheck_s``, so a lost notification delays a push, never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg
from sqlalchemy.engine import make_url

from app.hub.repo import NOTIFY_CHANNEL

log = logging.getLogger(__name__)


def libpq_conninfo(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://u:p@h:5432/db?host=/sock`` → a libpq URI psycopg takes."""
    return (
        make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


class Notifier:
    def __init__(self, sqlalchemy_url: str, *, recheck_s: float = 5.0) -> None:
        self.conninfo = libpq_conninfo(sqlalchemy_url)
        self.recheck_s = recheck_s
        self._events: dict[str, asyncio.Event] = {}
        self._task: asyncio.Task[None] | None = None
        self._conn: psycopg.AsyncConnection[object] | None = None
        self.listening = asyncio.Event()
        self.closing = False

    async def start(self, ready_s: float = 10.0) -> None:
        """Start listening; waits (up to ``ready_s``) for the first LISTEN to be in place."""
        self._task = asyncio.get_running_loop().create_task(self._listen_forever())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), ready_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._conn is not None and not self._conn.closed:
            await self._conn.close()

    def wake(self, store_id: str) -> None:
        event = self._events.pop(store_id, None)
        if event is not None:
            event.set()

    def release_all(self) -> None:
        """Shutting down: every parked long-poll answers now (with what it has)."""
        self.closing = True
        for event in self._events.values():
            event.set()

    def arm(self, store_id: str) -> asyncio.Event:
        """Call before reading the inbox: a push committed meanwhile sets the event."""
        return self._events.setdefault(store_id, asyncio.Event())

    async def wait(self, event: asyncio.Event, timeout_s: float) -> None:
        """Until a push for the store may have arrived, or ``min(timeout, recheck)``."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), min(timeout_s, self.recheck_s))

    async def _listen_forever(self) -> None:
        while True:
            try:
                self._conn = conn = await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True
                )
                try:
                    await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.listening.set()
                    async for note in conn.notifies():
                        self.wake(note.payload)
                finally:
                    self.listening.clear()
                    await conn.close()
            except psycopg.Error as e:
                self.listening.clear()
                log.info("hub: notification listener lost (%s); retrying", type(e).__name__)
                for event in list(self._events.values()):
                    event.set()  # let waiters re-check the database meanwhile
                await asyncio.sleep(1.0)
