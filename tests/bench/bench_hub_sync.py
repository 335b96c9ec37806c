"""Store → hub sync benchmark (run on demand: ``pytest tests/bench/bench_hub_sync.py -m bench
-s``). Prints, on this machine, against a throw-away PostgreSQL and ONE ``python -m app
hub`` process: rows/s uploaded from ``BENCH_SYNC_STORES`` (default 20) counter outboxes
at once (each its own SQLite, ``BENCH_SYNC_ORDERS`` orders each, default 250: an order
and its first timeline event = two rows), batches of 200; and the time from an order's
commit on a counter to its row on the hub (the order event wakes the uploader, which
lets 0.5 s of changes gather first; p50/p99).
Figures, not asserts: the counters, the hub and PostgreSQL share the machine."""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.clock import SystemClock
from app.core.storage.db import make_engine as counter_engine
from app.core.storage.db import migrate
from app.core.storage.hub_outbox_repo import HubOutboxRepo
from app.core.storage.repos import Database
from app.hub.db import make_engine
from app.hub.repo import HubRepo
from app.hub.tables import sync_events, sync_orders
from app.hub.upload import HubUploader
from tests.fakes.hub_pg import hub_db_url, hub_process, hub_template, pg_admin_url
from tests.helpers import sample_order

__all__ = ["hub_db_url", "hub_process", "hub_template", "pg_admin_url"]

STORES = int(os.environ.get("BENCH_SYNC_STORES", "20"))
ORDERS = int(os.environ.get("BENCH_SYNC_ORDERS", "250"))


def _count(engine, table) -> int:
    with engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.mark.bench
@pytest.mark.asyncio
async def test_bench_store_sync(hub_process, hub_db_url, tmp_path):
    hub = hub_process()
    repo = HubRepo(make_engine(hub_db_url, pool_size=2))
    clock = SystemClock()
    template = tmp_path / "template.db"
    e = counter_engine(f"sqlite:///{template}")
    migrate(e)
    e.dispose()
    stores = []
    for i in range(STORES):
        store_id, code = repo.add_store(f"店{i}", "", clock.now(), timedelta(hours=1))
        token = repo.enrol(code, "pc", clock.now()).token
        shutil.copy(template, tmp_path / f"s{i}.db")
        db = Database(counter_engine(f"sqlite:///{tmp_path / f's{i}.db'}"))
        db.insert_orders(
            [(sample_order(f"S{i}-{k}"), f"h{i}-{k}", "pos") for k in range(ORDERS)], clock.now()
        )
        HubOutboxRepo(db.engine).enable(store_id)  # back-fill: the first upload
        stores.append((token, db, HubUploader(HubOutboxRepo(db.engine), every_s=5.0)))
    rows = 2 * STORES * ORDERS
    t0 = time.perf_counter()
    tasks = [asyncio.create_task(up.run(hub.url, tok)) for tok, _, up in stores]
    try:
        while _count(repo.engine, sync_orders) + _count(repo.engine, sync_events) < rows:
            await asyncio.sleep(0.05)
        took = time.perf_counter() - t0
        # latency: one new order per store, committed now, seen on the hub when?
        before = _count(repo.engine, sync_orders)
        sent = {}
        for i, (_, db, up) in enumerate(stores):
            sent[f"L{i}"] = time.perf_counter()
            db.insert_orders([(sample_order(f"L{i}"), f"l{i}", "pos")], clock.now())
            up.kick()  # what the core's OrderReceived event does
        seen: dict[str, float] = {}
        while len(seen) < STORES:
            with repo.engine.connect() as c:
                for (name,) in c.execute(
                    select(sync_orders.c.data["pos_order_id"].astext).where(
                        sync_orders.c.data["pos_order_id"].astext.like("L%")
                    )
                ).all():
                    seen.setdefault(name, time.perf_counter())
            await asyncio.sleep(0.05)
        assert _count(repo.engine, sync_orders) == before + STORES
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for _, db, _ in stores:
            db.engine.dispose()
        repo.engine.dispose()
    lat = sorted(seen[k] - sent[k] for k in sent)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(
        f"\nstore sync through one hub process: {rows} rows from {STORES} stores in "
        f"{took:.1f} s = {rows / took:.0f} rows/s; order commit -> on the hub: p50 {statistics.median(lat) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"
    )
