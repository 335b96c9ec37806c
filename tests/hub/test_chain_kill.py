"""Issue 16's "done when": two hub processes on one PostgreSQL, 50 simulated stores, each a
counter PC that long-polls its inbox and uploads its outbox through a stand-in load
balancer, and 5,000 signed 美团 pushes spread across both processes — one process is
SIGKILLed a third of the way in. The senders re-send a push not answered "ok" to the other
process, as the platform does. Every push reaches its store's PC exactly once, every
store's outbox lands exactly once at its newest version, nothing is lost."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import time
from datetime import timedelta
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select, text

from app.core.clock import SystemClock
from app.core.sandbox.sources.meituan import MeituanSim
from app.core.sources.base import PushRequest
from app.core.sources.meituan import mapping
from app.core.storage.db import make_engine as counter_engine
from app.core.storage.db import migrate
from app.core.storage.hub_outbox_repo import HubOutboxRepo
from app.core.storage.repos import Database
from app.hub.client import HubClient
from app.hub.db import make_engine
from app.hub.repo import HubRepo
from app.hub.tables import sync_orders
from app.hub.upload import HubUploader
from tests.helpers import sample_order, wait_until
from tests.hub.test_sync_kill import Balancer

SECRET = "chain-kill-mt-secret"
STORES = 50
PUSHES = 5000
SENDERS = 16
FIRST, LATER = 4, 2  # counter orders per store before and after the kill


def signed(base: str, sim: MeituanSim, oid: str) -> bytes:
    url = base + "/hub/v1/sources/meituan/order"
    values = {k: str(v) for k, v in sim.order_push_fields(oid).items()}
    values.update(app_id=sim.app_id, timestamp=str(int(time.time())))
    return urlencode({**values, "sig": mapping.sign(url, values, SECRET)}).encode()


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.asyncio
async def test_fifty_stores_5000_pushes_and_sync_through_a_killed_hub_process(
    hub_process, hub_db_url, tmp_path
):
    # the platform signs over the public address; both processes sit behind it
    public = "https://hub.example.com"
    env = {"JUPEI_HUB__SOURCES__MEITUAN__APP_SECRET": SECRET, "JUPEI_HUB__LOG_LEVEL": "WARNING"}
    env["JUPEI_HUB__PUBLIC_BASE_URL"] = public
    one, two = hub_process(env), hub_process(env)
    hub = HubRepo(make_engine(hub_db_url, pool_size=2))
    clock = SystemClock()
    now = clock.now()
    template = tmp_path / "template.db"
    engine = counter_engine(f"sqlite:///{template}")
    migrate(engine)
    engine.dispose()

    delivered: dict[str, list[str]] = {}

    def handler(ref: str):
        async def handle_push(_source: str, _kind: str, request: PushRequest) -> None:
            fields = dict(x.split("=", 1) for x in request.body.decode().split("&"))
            delivered[ref].append(fields["order_id"])

        return handle_push

    stores = []
    for i in range(STORES):
        ref = f"P{i:03d}"
        store_id, code = hub.add_store(f"店{i:02d}", "上海", now, timedelta(hours=1))
        hub.map_ref(store_id, "meituan", ref, now)
        enrolled = hub.enrol(code, f"pc{i}", now)
        assert enrolled is not None
        path = tmp_path / f"store{i}.db"
        shutil.copy(template, path)
        db = Database(counter_engine(f"sqlite:///{path}"))
        repo = HubOutboxRepo(db.engine)
        assert repo.enable(store_id) == 0
        db.insert_orders(
            [(sample_order(f"S{i}-{k}"), f"h{i}-{k}", "pos") for k in range(FIRST)], now
        )
        upstreams = [one.url, two.url] if i % 2 == 0 else [two.url, one.url]
        up_t, in_t = Balancer(upstreams), Balancer(list(reversed(upstreams)))
        uploader = HubUploader(repo, every_s=0.5, batch=5, retry_max_s=0.6, transport=up_t)
        inbox = HubClient(
            "http://hub.test", enrolled.token, handler(ref), wait_s=5, retry_s=0.2, transport=in_t
        )
        delivered[ref] = []
        sim = MeituanSim(secret=SECRET, app_poi_code=ref, first_order_id=10**15 + i * 10**7)
        stores.append((store_id, ref, db, repo, uploader, inbox, sim, up_t, in_t))

    # the pushes: store after store in turn, each signed over the public URL
    work: list[tuple[str, str, bytes]] = []
    for k in range(PUSHES):
        _sid, ref, *_r, sim, _u, _t = stores[k % STORES]
        oid = sim.new_order()
        work.append((ref, oid, signed(public, sim, oid)))
    expected: dict[str, list[str]] = {s[1]: [] for s in stores}
    for ref, oid, _b in work:
        expected[ref].append(oid)

    tasks: list[asyncio.Task[None]] = []
    for _sid, _ref, _db, _repo, up, inbox, _sim, _ut, _it in stores:
        token = inbox._http.headers["Authorization"].removeprefix("Bearer ")
        tasks.append(asyncio.create_task(up.run("http://hub.test", token)))
        tasks.append(asyncio.create_task(inbox.run()))

    queue: asyncio.Queue[tuple[int, str, str, bytes]] = asyncio.Queue()
    for k, item in enumerate(work):
        queue.put_nowait((k, *item))
    sent = 0
    resent = 0
    killed = asyncio.Event()

    async def sender(http: httpx.AsyncClient) -> None:
        nonlocal sent, resent
        while not queue.empty():
            k, _ref, _oid, body = queue.get_nowait()
            targets = [one, two] if k % 2 == 0 else [two, one]
            for attempt in range(40):
                target = targets[attempt % 2]
                try:
                    r = await http.post(
                        target.url + "/hub/v1/sources/meituan/order",
                        content=body,
                        headers={"Content-Type": "application/x-www-form-urlencoded"},
                    )
                    if r.status_code == 200 and json.loads(r.content) == {"data": "ok"}:
                        break
                except httpx.HTTPError:
                    pass
                resent += 1
                await asyncio.sleep(0.05)
            else:
                pytest.fail(f"push {k} accepted by neither process")
            sent += 1
            if sent == PUSHES // 3 and not killed.is_set():
                killed.set()
                one.proc.send_signal(signal.SIGKILL)

    started = time.monotonic()
    try:
        limits = httpx.Limits(max_connections=SENDERS)
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            await asyncio.gather(*(sender(http) for _ in range(SENDERS)))
        sent_s = time.monotonic() - started
        # after the kill: every store takes and changes more orders
        for i, (_sid, _ref, db, *_rest) in enumerate(stores):
            db.insert_orders(
                [(sample_order(f"S{i}-x{k}"), f"h{i}-x{k}", "pos") for k in range(LATER)],
                clock.now(),
            )
            with db.engine.begin() as c:
                c.execute(text("UPDATE orders SET state = 'done'"))

        def all_in() -> bool:
            if sum(map(len, delivered.values())) < PUSHES:
                return False
            if any(s[3].pending() for s in stores):
                return False
            with hub.engine.connect() as c:
                done = c.execute(
                    select(func.count())
                    .select_from(sync_orders)
                    .where(sync_orders.c.state == "done")
                ).scalar_one()
            return done == STORES * (FIRST + LATER)

        await wait_until(all_in, timeout=150, interval=0.25)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for _sid, _ref, db, _repo, _up, inbox, _sim, up_t, in_t in stores:
            await inbox.aclose()
            await up_t.aclose()
            await in_t.aclose()
            db.engine.dispose()
    took = time.monotonic() - started
    print(
        f"\nchain kill: {PUSHES} pushes sent in {sent_s:.1f}s ({resent} re-sends after the kill), "
        f"all delivered and {STORES} outboxes landed in {took:.1f}s"
    )
    assert killed.is_set() and resent > 0  # the kill cost some pushes their first answer
    assert sum(t.failovers for s in stores for t in (s[7], s[8])) > 0
    for ref, got in delivered.items():
        assert len(got) == len(set(got))  # none twice
        assert sorted(got) == sorted(expected[ref])  # none lost, none of another store
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
        pushes = c.execute(text("SELECT count(*) FROM hub_push")).scalar_one()
    assert pushes == PUSHES  # each stored once, re-sends deduplicated
    for i, (store_id, *_rest) in enumerate(stores):
        assert per_store[store_id] == FIRST + LATER
        assert {n for s, n in names if s == store_id} == {
            *(f"S{i}-{k}" for k in range(FIRST)),
            *(f"S{i}-x{k}" for k in range(LATER)),
        }
    hub.engine.dispose()
