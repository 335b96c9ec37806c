"""Storage faults (issue 19 item 1): a full disk, a read-only and a locked database.

Real SQLite errors where SQLite can make them without root (``PRAGMA max_page_count``
for SQLITE_FULL, a ``mode=ro`` open, a second connection holding the write lock), and an
engine fault hook for the running POS API. Checked: 503 with ``storage_full`` /
``storage_readonly`` / ``storage_busy`` and ``Retry-After``, nothing stored, one alert and
one log line per episode, recovery by itself, the same order accepted once afterwards."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import event, text

from app.core.events import AlertCleared, AlertKind, AlertRaised, EventBus, StorageStateChanged
from app.core.pos.listener import PosListener
from app.core.sources.routes import SourcePushes
from app.core.sources.store import MemorySourceStore
from app.core.storage.db import make_engine
from app.core.storage.faults import (
    BUSY_TIMEOUT_S,
    RateLimitedLog,
    StorageFault,
    StorageWatch,
    classify,
)
from app.core.storage.outbox_repo import OutboxRepo
from tests.fakes.pos import payload
from tests.helpers import started_core

FAULT_LOGGER = "app.core.storage.faults"


def _fault_of(fn) -> StorageFault | None:
    try:
        fn()
    except Exception as e:
        return classify(e)
    raise AssertionError("expected a database error")


# ---------------------------------------------------------------- classify (real SQLite)
def test_disk_full_is_storage_full(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'full.db'}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (b BLOB)"))

    def fill():
        with engine.begin() as c:
            c.execute(text("PRAGMA max_page_count=20"))  # a disk of 20 pages
            for _ in range(100):
                c.execute(text("INSERT INTO t VALUES (randomblob(4000))"))

    fault = _fault_of(fill)
    assert fault is not None and fault.kind == "full" and fault.code == "storage_full"
    with engine.connect() as c:  # nothing half-written: the transaction rolled back
        assert c.execute(text("SELECT count(*) FROM t")).scalar() == 0
    engine.dispose()


def test_read_only_database_is_storage_readonly(tmp_path):
    path = tmp_path / "ro.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    engine = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")

    def write():
        with engine.begin() as c:
            c.execute(text("INSERT INTO t VALUES (1)"))

    fault = _fault_of(write)
    assert fault is not None and fault.code == "storage_readonly"
    assert fault.retry_after_s > 0
    engine.dispose()


def test_locked_database_is_storage_busy_after_the_busy_timeout(tmp_path):
    path = tmp_path / "locked.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (x)"))
        assert c.execute(text("PRAGMA busy_timeout")).scalar() == int(BUSY_TIMEOUT_S * 1000)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:

        def write():
            with engine.begin() as c:
                c.execute(text("INSERT INTO t VALUES (1)"))

        fault = _fault_of(write)
        assert fault is not None and fault.code == "storage_busy"
    finally:
        other.execute("ROLLBACK")
        other.close()
    with engine.begin() as c:  # lock gone: the same write goes through
        c.execute(text("INSERT INTO t VALUES (1)"))
    engine.dispose()


def test_other_errors_are_not_storage_faults():
    assert classify(ValueError("x")) is None
    assert classify(sqlite3.OperationalError("no such table: t")) is None
    assert BUSY_TIMEOUT_S < 10  # well under a POS's usual timeout


# ---------------------------------------------------------------- rate limit, watch
def test_rate_limited_log_says_it_once_a_minute(caplog):
    now = [0.0]
    rl = RateLimitedLog(logging.getLogger("t.rl"), every_s=60, monotonic=lambda: now[0])
    written = [rl.log("full", logging.INFO, "disk full") for _ in range(500)]
    assert written.count(True) == 1
    now[0] = 61.0
    assert rl.log("full", logging.INFO, "disk full")
    msgs = [r.getMessage() for r in caplog.records if r.name == "t.rl"]
    assert msgs == ["disk full", "disk full (499 more like it in the last 60 s)"]


@pytest.mark.allow_warnings
def test_watch_alerts_once_per_episode():
    bus = EventBus()
    seen: list[object] = []
    for t in (AlertRaised, AlertCleared, StorageStateChanged):
        bus.subscribe(t, seen.append)
    watch = StorageWatch(bus)
    for _ in range(5):
        watch.failed(StorageFault("full", "database or disk is full"), "POST /x")
    watch.ok()
    watch.ok()
    kinds = [type(e).__name__ for e in seen]
    assert kinds == ["StorageStateChanged", "AlertRaised", "StorageStateChanged", "AlertCleared"]
    assert seen[0].fault == "full" and seen[1].kind == AlertKind.STORAGE
    assert seen[2].fault == "" and watch.fault is None


# ---------------------------------------------------------------- the POS API
@contextmanager
def write_fault(engine, message: str):
    """The engine's writes fail with SQLite's own error until the block ends."""
    on = [True]

    def hook(conn, cursor, statement, params, context, executemany):
        if on[0] and statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            raise sqlite3.OperationalError(message)

    event.listen(engine, "before_cursor_execute", hook)
    try:
        yield
    finally:
        on[0] = False
        event.remove(engine, "before_cursor_execute", hook)


@pytest.mark.integration
@pytest.mark.asyncio
@pytest.mark.allow_warnings
@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("database or disk is full", "storage_full"),
        ("attempt to write a readonly database", "storage_readonly"),
    ],
)
async def test_pos_api_answers_503_then_recovers(pos, caplog, message, code):
    core = pos.core
    bus_seen: list[object] = []
    for t in (AlertRaised, AlertCleared, StorageStateChanged):
        core.service.bus.subscribe(t, bus_seen.append)
    with write_fault(core.service.db.engine, message):
        answers = [await pos.post("/orders", payload()) for _ in range(6)]
    for r in answers:
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == code
        assert int(r.headers["Retry-After"]) > 0
    assert await pos.count_orders() == 0  # nothing acknowledged, nothing stored
    fault_logs = [
        r for r in caplog.records if r.name == FAULT_LOGGER and r.levelno >= logging.ERROR
    ]
    assert len(fault_logs) == 1  # once a minute, not per request
    assert not [r for r in caplog.records if "internal_error" in r.getMessage() or r.exc_info]
    alerts = [e for e in bus_seen if isinstance(e, AlertRaised)]
    assert len(alerts) == 1 and alerts[0].kind == AlertKind.STORAGE  # the counter, once

    ok = await pos.post("/orders", payload())  # space is back: the POS's retry succeeds
    assert ok.status_code == 201
    assert await pos.count_orders() == 1
    assert core.pos_listener.storage.fault is None
    assert isinstance(bus_seen[-1], AlertCleared)
    again = await pos.post("/orders", payload())
    assert again.status_code == 200 and again.json() == ok.json()  # stored once


@pytest.mark.integration
@pytest.mark.asyncio
@pytest.mark.allow_warnings
async def test_pos_api_locked_database_is_503_busy_then_accepts(pos):
    path = pos.core.service.db.engine.url.database
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a second process holds the write lock
    try:
        r = await pos.post("/orders", payload())
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert r.status_code == 503 and r.json()["error"]["code"] == "storage_busy"
    assert r.headers["Retry-After"] == "2"
    assert await pos.count_orders() == 0
    r2 = await pos.post("/orders", payload())
    assert r2.status_code == 201
    assert await pos.count_orders() == 1


@pytest.mark.integration
@pytest.mark.asyncio
@pytest.mark.allow_warnings
async def test_source_push_gets_the_platforms_retryable_answer(tmp_path):
    async def receive(source, kind, push):
        raise sqlite3.OperationalError("database or disk is full")

    async with started_core(tmp_path) as core:
        svc = core.service
        watch = StorageWatch(svc.bus)
        listener = PosListener(
            svc,
            settings=lambda: svc.settings,
            outbox=OutboxRepo(svc.db.engine),
            clock=svc.clock,
            source_pushes=SourcePushes({"meituan": object()}, MemorySourceStore(), receive=receive),
            storage=watch,
        )
        await listener.start()
        try:
            async with httpx.AsyncClient(trust_env=False) as c:
                r = await c.post(
                    listener.base_url + "/api/v1/sources/meituan/order", content=b"a=1"
                )
        finally:
            await listener.stop()
    assert r.status_code == 503 and r.json() == {"error": "try again"}
    assert r.headers["Retry-After"] == "30"
    assert watch.fault is not None and watch.fault.kind == "full"


def test_openapi_documents_the_storage_503():
    from app.core.pos.openapi import spec

    doc = spec()
    for path, method in [
        ("/api/v1/orders", "post"),
        ("/api/v1/orders/{pos_order_id}", "get"),
        ("/api/v1/orders/{pos_order_id}/cancel", "post"),
        ("/api/v1/sources/{source}/{kind}", "post"),
    ]:
        resp = doc["paths"][path][method]["responses"]["503"]
        assert "Retry-After" in resp["headers"], path
    text = doc["paths"]["/api/v1/orders"]["post"]["responses"]["503"]["description"]
    assert all(c in text for c in ("storage_full", "storage_readonly", "storage_busy"))


# ---------------------------------------------------------------- recovery without traffic
def test_probe_sees_each_fault_pass(tmp_path):
    from app.core.storage.faults import sqlite_probe

    path = tmp_path / "p.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (x)"))
    free = [0]
    probe = sqlite_probe(engine, free_bytes=1000, disk_free=lambda _p: free[0])
    assert not probe("full")  # the folder still has no room
    free[0] = 10_000
    assert probe("full")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        assert not probe("busy")  # still locked (after the busy timeout)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert probe("busy")
    with engine.connect() as c:  # the probe stored nothing
        names = c.execute(text("SELECT name FROM sqlite_master")).scalars().all()
    assert names == ["t"]
    ro = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert not sqlite_probe(ro)("readonly")
    engine.dispose()
    ro.dispose()


@pytest.mark.asyncio
@pytest.mark.allow_warnings
async def test_watch_recovers_by_probing_without_traffic():
    from tests.helpers import wait_until

    bus = EventBus()
    seen: list[StorageStateChanged] = []
    bus.subscribe(StorageStateChanged, seen.append)
    gone = [False]
    watch = StorageWatch(bus, probe=lambda kind: gone[0], probe_every_s=0.01)
    watch.failed(StorageFault("full", "database or disk is full"), "POST /x")
    assert not await watch.probe_once()  # still full: the banner stays
    assert watch.fault is not None
    gone[0] = True  # space freed; no POS request comes
    await wait_until(lambda: watch.fault is None)
    assert [e.fault for e in seen] == ["full", ""]
    await watch.stop()


@pytest.mark.integration
@pytest.mark.asyncio
@pytest.mark.allow_warnings
async def test_real_disk_full_at_the_pos_api_loses_nothing(pos):
    """A real SQLITE_FULL through the whole stack: the database may not grow (``PRAGMA
    max_page_count`` on every connection), orders are posted until the disk is "full".
    Every order answered 201 is stored; none answered 503 is (nothing half-written);
    when the limit is lifted the POS's retries are stored, each once."""
    engine = pos.core.service.db.engine
    with engine.connect() as c:
        pages = c.execute(text("PRAGMA page_count")).scalar()

    def cap(dbapi_conn, _record):
        dbapi_conn.execute(f"PRAGMA max_page_count={pages + 2}")

    event.listen(engine, "connect", cap)
    engine.dispose()  # every new connection has the cap
    answers: dict[str, int] = {}
    try:
        for i in range(400):
            pid = f"F{i:04d}"
            r = await pos.post("/orders", payload(pos_order_id=pid))
            answers[pid] = r.status_code
            if r.status_code == 503:
                assert r.json()["error"]["code"] == "storage_full"
                break
    finally:
        event.remove(engine, "connect", cap)
        engine.dispose()  # space is back
    refused = [p for p, s in answers.items() if s == 503]
    stored = [p for p, s in answers.items() if s == 201]
    assert refused and set(answers.values()) == {201, 503}, answers
    assert await pos.count_orders() == len(stored)
    for pid in refused:  # the POS retries: stored now, exactly once
        assert (await pos.post("/orders", payload(pos_order_id=pid))).status_code == 201
    assert await pos.count_orders() == len(stored) + len(refused)
    assert pos.core.pos_listener.storage.fault is None


def test_log_handlers_keep_one_storage_traceback_a_minute():
    """Any loop that logs its failures (``log.exception``) during a full disk: its handler
    writes the storage fault once a minute, both handlers alike; other errors all pass."""
    import io

    from app.core.storage.faults import StorageLogFilter

    now = [0.0]
    flt = StorageLogFilter(every_s=60, monotonic=lambda: now[0])
    outs = [io.StringIO(), io.StringIO()]
    logger = logging.getLogger("t.storage.spam")
    logger.propagate = False
    handlers = [logging.StreamHandler(o) for o in outs]
    for h in handlers:
        h.addFilter(flt)
        logger.addHandler(h)
    try:
        for _ in range(300):
            try:
                raise sqlite3.OperationalError("database or disk is full")
            except sqlite3.Error:
                logger.exception("dispatcher: saving failed")
        try:
            raise ValueError("a bug")
        except ValueError:
            logger.exception("a bug, always logged")
        now[0] = 61.0
        try:
            raise sqlite3.OperationalError("database or disk is full")
        except sqlite3.Error:
            logger.exception("dispatcher: saving failed")
    finally:
        for h in handlers:
            logger.removeHandler(h)
    for out in outs:
        text = out.getvalue()
        assert text.count("dispatcher: saving failed") == 2
        assert "(299 more like it in the last 60 s)" in text
        assert text.count("a bug, always logged") == 1


def test_setup_logging_installs_the_storage_filter(tmp_path):
    from app.core.logs import STORAGE_LOG_FILTER, setup_logging

    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    setup_logging(tmp_path, stderr=False)
    try:
        ours = [h for h in root.handlers if getattr(h, "_jupei", False)]
        assert ours and all(STORAGE_LOG_FILTER in h.filters for h in ours)
    finally:
        for h in root.handlers[:]:
            if h not in before:
                root.removeHandler(h)
                h.close()
        root.setLevel(level)


@pytest.mark.integration
@pytest.mark.asyncio
@pytest.mark.allow_warnings
async def test_a_refused_write_outside_the_pos_api_raises_the_banner_too(pos):
    """A cashier's action or a background loop hits the full disk: the engine's
    ``handle_error`` tells the watch (from the worker thread, onto the loop)."""
    import asyncio

    from tests.helpers import wait_until

    core = pos.core
    engine = core.service.db.engine
    seen: list[StorageStateChanged] = []
    core.service.bus.subscribe(StorageStateChanged, seen.append)

    def save():
        with engine.begin() as c:
            c.execute(text("INSERT INTO orders_note_probe VALUES (1)"))

    with write_fault(engine, "database or disk is full"):
        with pytest.raises(Exception) as e:
            await asyncio.to_thread(save)
        assert classify(e.value).kind == "full"
        watch = core.pos_listener.storage
        await wait_until(lambda: watch.fault is not None)
    assert [s.fault for s in seen] == ["full"]
    assert await watch.probe_once()  # the disk takes writes again: the banner goes
    assert [s.fault for s in seen] == ["full", ""]
