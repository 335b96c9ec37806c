"""The counter joins the hub: a live ``python -m app hub`` process on PostgreSQL and a real
counter core (``build_core`` on a temp SQLite). The counter joins through
``AppService.join_hub`` (what the settings dialog calls), its ``HubLink`` long-polls the
inbox and hands each relayed push to the source desk: a signed 美团 push to the hub
becomes exactly one board order; pushes that arrive while the counter is off, or while
the hub is down, are all on the board after it is back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.bootstrap import Core, build_core
from app.core.clock import SystemClock
from app.core.events import SourceHealthChanged
from app.core.sandbox.engine import SandboxEngine
from app.core.sandbox.sources.common import LoopbackServer
from app.core.sandbox.sources.meituan import MeituanSim
from app.core.secrets import MemorySecretStore
from app.core.sources.meituan import RULES
from app.hub.client import DEVICE_TOKEN_SECRET, HubError
from app.hub.db import make_engine
from app.hub.repo import HubRepo
from app.hub.tables import store_health
from tests.helpers import make_settings, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]

CREDS = dict(RULES.rehearsal_credentials)
NEAR_STORE = {"latitude": 31233000, "longitude": 121476000}


class Counter:
    """A counter PC: its settings file, its SQLite and its secret store survive a restart."""

    def __init__(self, tmp_path, api_url: str, hub_url: str) -> None:
        self.config = tmp_path / "config.toml"
        self.secrets = MemorySecretStore()
        self.settings = make_settings(
            tmp_path,
            sources={
                "meituan": {
                    "mode": "push",
                    "base_url": api_url + "/api/v1/",
                    # the counter checks the signature again, over the hub's address
                    "push_base_url": hub_url + "/hub/v1/sources/meituan",
                    "pull_interval_s": 3600,
                    **{k: CREDS[k] for k in ("app_id", "app_poi_code", "app_secret")},
                }
            },
        )
        self.events: list[object] = []

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Core]:
        core = build_core(
            self.settings,
            secrets=self.secrets,
            config_path=self.config,
            sandbox_engine=SandboxEngine(seed=1, speed=0),
        )
        assert core.hub is not None
        core.hub.retry_min_s, core.hub.retry_max_s = 0.05, 0.4  # quick backoff for the test
        core.hub.wait_s = 1.0  # short long-polls: a revocation is seen at once
        core.service.subscribe_all(self.events.append)
        await core.start(pos=False)
        try:
            yield core
        finally:
            self.settings = core.service.settings  # what a join saved
            await core.stop()

    def hub_health(self) -> list[str]:
        return [
            e.state for e in self.events if isinstance(e, SourceHealthChanged) and e.source == "hub"
        ]


async def board_count(core: Core, expected: int) -> int:
    """The board's size once every expected order is on it (orders are put on the board
    after the push was answered)."""
    desk = core.sources
    assert desk is not None

    async def count() -> int:
        await desk.drain()
        return len(await core.service.board())

    await wait_until(lambda: _at_least(count(), expected), timeout=30)
    return await count()


async def _at_least(n, expected: int) -> bool:
    return await n >= expected


def hub_store(hub_db_url: str) -> tuple[HubRepo, str, str]:
    repo = HubRepo(make_engine(hub_db_url, pool_size=1))
    now = SystemClock().now()
    store_id, code = repo.add_store("人民路店", "上海", now, timedelta(hours=1))
    repo.map_ref(store_id, "meituan", CREDS["app_poi_code"], now)
    return repo, store_id, code


async def test_counter_joins_and_a_hub_push_lands_on_the_board_once(
    hub_process, hub_db_url, tmp_path, caplog
):
    hub = hub_process({"JUPEI_HUB__SOURCES__MEITUAN__APP_SECRET": CREDS["app_secret"]})
    repo, store_id, code = hub_store(hub_db_url)
    sim = MeituanSim(
        secret=CREDS["app_secret"],
        app_poi_code=CREDS["app_poi_code"],
        push_base_url=hub.url + "/hub/v1/sources/meituan",
    )
    async with LoopbackServer(sim.make_app()) as api:
        pc = Counter(tmp_path, api.url, hub.url)
        async with pc.running() as core:
            svc = core.service
            assert svc.hub_status().joined is False and svc.hub_status().state == "off"
            with pytest.raises(HubError, match=r"already used|unknown"):
                await svc.join_hub(url=hub.url, code="AAAA-BBBB-CCCC")
            status = await svc.join_hub(url=hub.url + "/", code=code, device_name="前台1")
            assert status.joined and status.store_id == store_id and status.store_name == "人民路店"
            assert pc.secrets.get(DEVICE_TOKEN_SECRET).startswith("jph_")
            assert "jph_" not in pc.config.read_text()  # token never in the file
            assert store_id in pc.config.read_text()
            await wait_until(lambda: svc.hub_status().state == "healthy", timeout=20)

            oid = sim.new_order(**NEAR_STORE)
            assert await sim.push_order(oid)
            assert await sim.push_order(oid)  # the platform retries: stored once on the hub
            order_id = await wait_until(
                lambda: core.sources.store.order_id("meituan", oid), timeout=30
            )
            assert order_id is not None
            assert await board_count(core, 1) == 1
            assert svc.hub_status().delivered == 1

            def reported_sources() -> list[str]:
                with repo.engine.connect() as c:
                    doc = c.execute(select(store_health.c.data)).scalar()
                return [h["source"] for h in (doc or {}).get("sources", [])]

            # the store's health reached head office with the sync
            assert await wait_until(lambda: reported_sources() == ["meituan"], timeout=30)
        assert pc.hub_health()[-1] == "healthy"
        # the link is stopped cleanly with the core; a restart resumes from the ack: nothing twice
        async with pc.running() as core:
            await wait_until(lambda: core.service.hub_status().state == "healthy", timeout=20)
            assert await board_count(core, 1) == 1
            # head office revokes this PC: the link stops and says why
            repo.revoke_store(store_id, SystemClock().now())
            await wait_until(lambda: not core.hub.running, timeout=20)
            status = core.service.hub_status()
            assert status.state == "error" and "refused" in status.detail
            assert "join the hub again" in caplog.text  # the one expected warning
            caplog.clear()
            left = await core.service.leave_hub()
            assert left.joined is False and not core.hub.running
            assert pc.secrets.get(DEVICE_TOKEN_SECRET) is None
    repo.engine.dispose()


async def test_pushes_while_the_counter_or_the_hub_is_down_all_arrive(
    hub_process, hub_db_url, tmp_path
):
    env = {"JUPEI_HUB__SOURCES__MEITUAN__APP_SECRET": CREDS["app_secret"]}
    hub = hub_process(env)
    repo, _, code = hub_store(hub_db_url)
    sim = MeituanSim(
        secret=CREDS["app_secret"],
        app_poi_code=CREDS["app_poi_code"],
        push_base_url=hub.url + "/hub/v1/sources/meituan",
    )
    async with LoopbackServer(sim.make_app()) as api:
        pc = Counter(tmp_path, api.url, hub.url)
        async with pc.running() as core:
            await core.service.join_hub(url=hub.url, code=code)
            await wait_until(lambda: core.service.hub_status().state == "healthy", timeout=20)
        # 1. the counter PC is off: three orders wait on the hub
        first = [sim.new_order(**NEAR_STORE) for _ in range(3)]
        for oid in first:
            assert await sim.push_order(oid)
        async with pc.running() as core:
            await wait_until(lambda: core.service.hub_status().delivered == 3, timeout=30)
            assert await board_count(core, 3) == 3
            # 2. the hub goes down under a running counter: it backs off, shows the error ...
            hub.stop()
            await wait_until(lambda: core.service.hub_status().state == "error", timeout=30)
            # ... the platform's pushes land once the hub is back (same address, same data)
            hub = hub_process(env, port=hub.port)
            later = [sim.new_order(**NEAR_STORE) for _ in range(2)]
            for oid in later:
                assert await sim.push_order(oid)
            await wait_until(lambda: core.service.hub_status().delivered == 5, timeout=30)
            assert core.service.hub_status().state == "healthy"
            assert await board_count(core, 5) == 5
            for oid in first + later:
                assert await core.sources.store.order_id("meituan", oid) is not None
        assert pc.hub_health().count("error") >= 1
    repo.engine.dispose()
