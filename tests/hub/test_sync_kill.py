"""50 stores sync at once through two hub processes on one PostgreSQL; one process is
SIGKILLed mid-run (a load balancer in front sends new connections to the survivor).
Every store's outbox lands exactly once, the newest version of every row wins, nothing
is lost, and every counter's outbox ends empty."""

from __future__ import annotations

import asyncio
import shutil
import signal
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, text

from app.core.clock import SystemClock
from app.core.storage.db import make_engine as counter_engine
from app.core.storage.db import migrate
from app.core.storage.hub_outbox_repo import HubOutboxRepo
from app.core.storage.repos import Database
from app.hub.db import make_engine
from app.hub.repo import HubRepo
from app.hub.tables import sync_orders
from app.hub.upload import HubUploader
from tests.helpers import sample_order, wait_until

STORES, FIRST, LATER = 50, 8, 4  # orders per store before and after the kill


class Balancer(httpx.AsyncBaseTransport):
    """A load balancer's share of the work: ``http://hub.test`` goes to the first live
    upstream; a refused connection moves on to the next (as nginx's ``proxy_next_upstream
    error`` does); a connection lost mid-request is the caller's to retry."""

    def __init__(self, upstreams: list[str]) -> None:
        self.upstreams = upstreams
        self.inner = httpx.AsyncHTTPTransport()
        self.failovers = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for i, base in enumerate(self.upstreams):
            host, port = base.removeprefix("http://").split(":")
            request.url = request.url.copy_with(host=host, port=int(port))
            try:
                return await self.inner.handle_async_request(request)
            except httpx.ConnectError:
                if i == len(self.upstreams) - 1:
                    raise
                self.failovers += 1
        raise httpx.ConnectError("no upstream")

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.asyncio
async def test_fifty_stores_sync_through_a_killed_hub_process(hub_process, hub_db_url, tmp_path):
    one, two = hub_process(), hub_process()
    hub = HubRepo(make_engine(hub_db_url, pool_size=2))
    clock = SystemClock()
    now = clock.now()
    # one migrated counter database, copied for each store
    template = tmp_path / "template.db"
    engine = counter_engine(f"sqlite:///{template}")
    migrate(engine)
    engine.dispose()
    stores = []
    for i in range(STORES):
        store_id, code = hub.add_store(f"店{i:02d}", "上海", now, timedelta(hours=1))
        enrolled = hub.enrol(code, f"pc{i}", now)
        assert enrolled is not None
        path = tmp_path / f"store{i}.db"
        shutil.copy(template, path)
        db = Database(counter_engine(f"sqlite:///{path}"))
        repo = HubOutboxRepo(db.engine)
        assert repo.enable(store_id) == 0  # an empty PC: nothing to back-fill
        db.insert_orders(
            [(sample_order(f"S{i}-{k}"), f"h{i}-{k}", "pos") for k in range(FIRST)], now
        )
        # half the stores reach process one first, half process two
        upstreams = [one.url, two.url] if i % 2 == 0 else [two.url, one.url]
        transport = Balancer(upstreams)
        up = HubUploader(repo, every_s=0.3, batch=5, retry_max_s=0.6, transport=transport)
        stores.append((store_id, enrolled.token, db, repo, up, transport))

    def on_hub() -> int:
        with hub.engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(sync_orders)).scalar_one())

    tasks = [asyncio.create_task(up.run("http://hub.test", tok)) for _, tok, _, _, up, _ in stores]
    try:
        # kill process one while the first uploads are under way
        await wait_until(lambda: on_hub() >= STORES * FIRST // 3, timeout=120, interval=0.05)
        one.proc.send_signal(signal.SIGKILL)
        killed_at = on_hub()
        for i, (_, _, db, _, _, _) in enumerate(stores):
            db.insert_orders(
                [(sample_order(f"S{i}-x{k}"), f"h{i}-x{k}", "pos") for k in range(LATER)],
                clock.now(),
            )
            with db.engine.begin() as c:  # every order changes once more: a newer version
                c.execute(text("UPDATE orders SET state = 'done'"))

        def all_in() -> bool:
            if any(repo.pending() for _, _, _, repo, _, _ in stores):
                return False
            with hub.engine.connect() as c:
                done = c.execute(
                    select(func.count())
                    .select_from(sync_orders)
                    .where(sync_orders.c.state == "done")
                ).scalar_one()
            return done == STORES * (FIRST + LATER)

        await wait_until(all_in, timeout=240, interval=0.2)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for _, _, db, _, _, transport in stores:
            await transport.aclose()
            db.engine.dispose()
    assert killed_at < STORES * FIRST  # the kill happened mid-run ...
    assert sum(t.failovers for *_x, t in stores) > 0  # ... and uploads had to move over
    with hub.engine.connect() as c:
        per_store = dict(
            c.execute(
                select(sync_orders.c.store_id, func.count()).group_by(sync_orders.c.store_id)
            ).all()
        )
        names = {
            (r.store_id, r.data["pos_order_id"])
            for r in c.execute(select(sync_orders.c.store_id, sync_orders.c.data)).all()
        }
    for i, (store_id, *_rest) in enumerate(stores):
        assert per_store[store_id] == FIRST + LATER  # each store's rows, exactly once
        assert {n for s, n in names if s == store_id} == {
            *(f"S{i}-{k}" for k in range(FIRST)),
            *(f"S{i}-x{k}" for k in range(LATER)),
        }
    assert sum(up.uploaded for *_x, up, _t in stores) >= STORES * (FIRST + LATER)
    hub.engine.dispose()
