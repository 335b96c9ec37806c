"""Refreshed 饿了么 tokens outlive a restart: the 饿了么 simulator over loopback refuses an
expired token, the connector refreshes it during catch-up, a periodic pull, a sync-back or a desk
start, the new pair lands in the (fake) secret store under ``sources.eleme.<key>``, and
a connector built afterwards from that store works with it. An env override is not
rewritten but warned about once; rehearsal tokens never reach the store."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest

from app.bootstrap import build_core
from app.core.config import Settings
from app.core.domain import DeliveryStatus
from app.core.logs import REDACTOR
from app.core.sandbox.engine import SandboxEngine
from app.core.sandbox.sources.common import LoopbackServer
from app.core.sandbox.sources.eleme import ElemeSim
from app.core.secrets import MemorySecretStore, SecretStoreUnavailable
from app.core.sources.base import SourceUnavailableError
from app.core.sources.catchup import catch_up
from app.core.sources.eleme import RULES, Connector
from app.core.sources.http import SourceHttp
from app.core.sources.registry import build_connector
from app.core.sources.runner import SourceRunner
from app.core.sources.setup import context_for
from app.core.sources.store import MemorySourceStore
from app.core.sources.tokens import TokenKeeper
from app.core.storage.db import make_engine, migrate
from app.core.storage.repos import Database
from app.core.storage.syncback_repo import SyncBackRepo
from tests.core.sources.test_syncback import Desk, drain, run
from tests.fakes.clock import FakeClock
from tests.helpers import make_settings, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]

CREDS = RULES.rehearsal_credentials  # what the simulator accepts at first
OLD_ACCESS, OLD_REFRESH = CREDS["access_token"], CREDS["refresh_token"]


def _stored() -> dict[str, str]:
    return {
        "sources.eleme.app_secret": CREDS["app_secret"],
        "sources.eleme.access_token": OLD_ACCESS,
        "sources.eleme.refresh_token": OLD_REFRESH,
    }


def _settings(tmp_path, base_url: str, **eleme: Any) -> Settings:
    section = {
        "mode": "pull",
        "base_url": base_url,
        "pull_interval_s": 3600,
        "app_key": CREDS["app_key"],
        "shop_id": CREDS["shop_id"],
        **eleme,
    }
    return make_settings(tmp_path, sources={"eleme": section}, rehearsal={"mode": "off"})


class Rig:
    def __init__(self, sim: ElemeSim, settings: Settings, secrets: MemorySecretStore) -> None:
        self.sim, self.settings, self.secrets = sim, settings, secrets
        self.http = SourceHttp(timeout_s=5.0, connect_timeout_s=5.0)
        self.clock = sim.clock

    def connector(self, **kw: Any) -> Any:
        ctx = context_for("eleme", self.settings, self.secrets, self.http, self.clock, **kw)
        return build_connector(ctx)


@asynccontextmanager
async def rig(
    tmp_path, secrets: MemorySecretStore | None = None, **eleme: Any
) -> AsyncIterator[Rig]:
    sim = ElemeSim(clock=FakeClock())
    async with LoopbackServer(sim.make_app()) as api:
        r = Rig(
            sim,
            _settings(tmp_path, api.url + "/api/v1/", **eleme),
            secrets or MemorySecretStore(_stored()),
        )
        try:
            yield r
        finally:
            await r.http.aclose()


async def test_catch_up_refresh_is_saved_and_a_new_connector_uses_it(tmp_path):
    async with rig(tmp_path) as r:
        first = r.connector(save_secret=r.secrets.set)
        r.sim.token_expired = True
        report = await catch_up(first, MemorySourceStore(), r.clock.now())
        assert report.healthy and report.token_refreshed
        new_access, new_refresh = r.sim.access_token, r.sim.refresh_token
        assert new_access != OLD_ACCESS and new_refresh != OLD_REFRESH
        assert r.secrets.get("sources.eleme.access_token") == new_access
        assert r.secrets.get("sources.eleme.refresh_token") == new_refresh
        assert REDACTOR.redact(f"token {new_access} {new_refresh}") == "token *** ***"

        # "after a restart": a connector built from the store speaks with the new token;
        # the simulator refuses the old one, so this pull would fail without it
        again = r.connector(save_secret=r.secrets.set)
        assert again.creds["access_token"] == new_access
        assert await again.pull() == []
        assert r.sim.access_token == new_access  # no second refresh was needed


async def test_a_periodic_pull_refreshes_and_saves(tmp_path):
    async with rig(tmp_path) as r:
        runner = SourceRunner(r.connector(save_secret=r.secrets.set), MemorySourceStore(), r.clock)
        await runner.start()
        oid = r.sim.new_order()
        r.sim.token_expired = True  # expires while the app runs
        pulled = await runner.pull_once()
        assert [o.source_order_id for o in pulled] == [oid]
        assert runner.health.state == "healthy"
        assert r.secrets.get("sources.eleme.access_token") == r.sim.access_token != OLD_ACCESS
        await runner.settled()  # 接单 runs behind the board: done before the client closes


@pytest.mark.allow_warnings
async def test_an_env_override_is_warned_about_once(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("JUPEI_SOURCES__ELEME__ACCESS_TOKEN", OLD_ACCESS)
    stored = _stored()
    secrets = MemorySecretStore(stored)
    async with rig(tmp_path, secrets, access_token=OLD_ACCESS) as r:  # as the env loader does
        conn = r.connector(save_secret=secrets.set)
        assert conn.creds["access_token"] == OLD_ACCESS
        await conn.refresh_token()
        await conn.refresh_token()
        stale = [
            rec
            for rec in caplog.records
            if rec.levelno == logging.WARNING
            and "JUPEI_SOURCES__ELEME__ACCESS_TOKEN" in rec.getMessage()
        ]
        assert len(stale) == 1
        assert "refresh_token" not in stale[0].getMessage().split("was refreshed")[0]
        # the store holds the newest pair all the same (the variable wins while it is set)
        assert secrets._d["sources.eleme.access_token"] == r.sim.access_token != OLD_ACCESS
        assert secrets._d["sources.eleme.refresh_token"] == r.sim.refresh_token


async def test_rehearsal_tokens_never_reach_the_store(tmp_path):
    async with rig(tmp_path) as r:
        conn = r.connector(
            save_secret=r.secrets.set, simulator_base_url=r.settings.sources.eleme.base_url
        )
        assert conn.ctx.on_tokens is None
        await conn.refresh_token()
        assert r.secrets.get("sources.eleme.access_token") == OLD_ACCESS


class BrokenStore(MemorySecretStore):
    def set(self, name: str, value: str) -> None:
        raise SecretStoreUnavailable("no OS keyring backend")


@pytest.mark.allow_warnings
async def test_a_store_that_cannot_write_keeps_the_token_in_memory(tmp_path, caplog):
    secrets = BrokenStore(_stored())
    async with rig(tmp_path, secrets) as r:
        conn = r.connector(save_secret=secrets.set)
        r.sim.token_expired = True
        report = await catch_up(conn, MemorySourceStore(), r.clock.now())
        assert report.healthy and conn.creds["access_token"] == r.sim.access_token
        assert any("kept in memory only" in rec.getMessage() for rec in caplog.records)


async def test_the_desk_saves_a_token_refreshed_at_start(tmp_path):
    sim = ElemeSim()
    sim.token_expired = True  # the shop was closed for days
    secrets = MemorySecretStore(_stored())
    async with LoopbackServer(sim.make_app()) as api:
        settings = _settings(tmp_path, api.url + "/api/v1/")
        core = build_core(settings, secrets=secrets, sandbox_engine=SandboxEngine(seed=1, speed=0))
        await core.start(pos=False)
        try:
            desk = core.sources
            assert desk is not None
            await wait_until(lambda: [h.state for h in desk.health()] == ["healthy"])
            assert secrets.get("sources.eleme.access_token") == sim.access_token != OLD_ACCESS
            assert secrets.get("sources.eleme.refresh_token") == sim.refresh_token
            # a settings save rebuilds the source from the store: the new token is used
            token = sim.access_token
            assert await desk.reload() == ["eleme"]
            assert desk.connectors["eleme"].creds["access_token"] == sim.access_token
            # its catch-up pulls with that token, without another refresh
            await wait_until(lambda: desk.runners["eleme"].health.state == "healthy")
            assert sim.access_token == token
        finally:
            await core.stop()


async def test_a_refresh_during_sync_back_is_saved(tmp_path, eleme_rig):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    desk = Desk(Database(engine), SyncBackRepo(engine), eleme_rig.clock)
    secrets = MemorySecretStore(_stored())
    ctx = replace(eleme_rig.connector.ctx, on_tokens=TokenKeeper("eleme", secrets.set))
    conn = Connector(ctx)
    sim = eleme_rig.sim
    order_id = await desk.board_order(conn, sim.new_order())
    worker = await run(desk, conn)
    sim.token_expired = True
    desk.move(desk.attempt(order_id), DeliveryStatus.PICKED_UP)
    await worker.idle()
    assert await drain(worker) >= 1
    assert desk.changes[-1].outcome == "sent"
    assert secrets.get("sources.eleme.access_token") == sim.access_token != OLD_ACCESS
    await worker.stop()


async def test_callers_that_meet_the_expired_token_together_share_one_refresh(tmp_path):
    async with rig(tmp_path) as r:
        conn = r.connector(save_secret=r.secrets.set)
        r.sim.token_expired = True
        # a catch-up pull and a sync-back both hit the expired token: without sharing,
        # the second would refresh with the rotated-away refresh token and be refused
        first, second = await asyncio.gather(conn.refresh_token(), conn.refresh_token())
        assert first == second and first[0] == r.sim.access_token
        assert await conn.pull() == []
        assert r.secrets.get("sources.eleme.refresh_token") == r.sim.refresh_token


async def test_a_token_answer_that_is_not_json_is_retryable_and_keeps_the_old_token(tmp_path):
    """A proxy's HTML page instead of the token answer: a retryable error (a sync-back
    waiting on it is retried, not parked), nothing saved, the old token kept."""
    from aiohttp import web

    async def html(request: web.Request) -> web.Response:
        return web.Response(text="<html>502 Bad Gateway</html>", content_type="text/html")

    app = web.Application()
    app.router.add_post("/token", html)
    async with LoopbackServer(app) as proxy:
        secrets = MemorySecretStore(_stored())
        settings = _settings(tmp_path, proxy.url + "/api/v1/")
        http = SourceHttp(timeout_s=5.0, connect_timeout_s=5.0)
        try:
            conn = build_connector(
                context_for("eleme", settings, secrets, http, FakeClock(), save_secret=secrets.set)
            )
            with pytest.raises(SourceUnavailableError) as err:
                await conn.refresh_token()
            assert err.value.retryable
            assert conn.creds["access_token"] == OLD_ACCESS
            assert secrets.get("sources.eleme.access_token") == OLD_ACCESS
        finally:
            await http.aclose()
