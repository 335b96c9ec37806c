"""Stopping the core while a settings save is still switching a source on (issue 17
follow-up: a ``syncback-flush`` task outlived ``Core.stop`` and failed with "no running
event loop" once the test's loop was closed)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from app.bootstrap import build_core
from app.core.config import Settings
from app.core.sandbox.engine import SandboxEngine
from app.core.sandbox.sources.common import LoopbackServer
from app.core.sandbox.sources.meituan import MeituanSim
from app.core.secrets import MemorySecretStore
from app.core.sources.meituan.rules import RULES
from tests.helpers import make_settings

pytestmark = [pytest.mark.integration]


def _leftovers() -> set[asyncio.Task[object]]:
    me = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t is not me and not t.done()}


@asynccontextmanager
async def _meituan_on(settings: Settings) -> AsyncIterator[Settings]:
    """``settings`` with 美团 pulled from a simulator (a pull that finds nothing)."""
    async with LoopbackServer(MeituanSim().make_app()) as api:
        new = settings.model_copy(deep=True)
        creds = RULES.rehearsal_credentials
        new.sources.meituan = new.sources.meituan.model_copy(
            update={
                "mode": "pull",
                "base_url": api.url + "/api/v1/",
                "pull_interval_s": 3600,
                **{k: creds[k] for k in ("app_id", "app_poi_code", "app_secret")},
            }
        )
        yield new


@pytest.mark.asyncio
async def test_stop_right_after_a_save_that_switches_a_source_on_leaves_no_task(tmp_path):
    settings = make_settings(tmp_path)
    core = build_core(
        settings, secrets=MemorySecretStore(), sandbox_engine=SandboxEngine(seed=1, speed=0)
    )
    async with _meituan_on(settings) as new:
        await core.start(pos=False)
        assert core.sources is not None and core.syncback is not None
        assert not core.sources.connectors and not core.syncback_running
        before = _leftovers()
        await core.service.save_settings(new)  # the reload is only spawned (SettingsChanged)
        await core.stop()  # it runs while the desk drains: it must start nothing
        assert not core.syncback_running
        assert {t.get_name() for t in _leftovers() - before} == set()
        # the save is not lost: the next start switches 美团 on (and the worker with it)
        await core.start(pos=False)
        try:
            assert list(core.sources.connectors) == ["meituan"]
            assert core.syncback_running
        finally:
            await core.stop()
        assert not core.syncback_running
        assert {t.get_name() for t in _leftovers() - before} == set()


@pytest.mark.asyncio
async def test_a_restarted_core_follows_the_sources_once(tmp_path):
    async with _meituan_on(make_settings(tmp_path)) as settings:
        core = build_core(
            settings, secrets=MemorySecretStore(), sandbox_engine=SandboxEngine(seed=1, speed=0)
        )
        for _ in range(2):  # a second start adds no second follower
            await core.start(pos=False)
            try:
                assert core.syncback_running and core.sources is not None
                assert core.sources.after_reload.count(core._follow_sources) == 1
            finally:
                await core.stop()
            assert not core.syncback_running


def test_a_late_kick_from_another_thread_after_the_loop_closed_is_dropped():
    """The hub uploader's ``kick`` (a bus handler, any thread) races the loop's close: the
    loop may close between its ``is_closed`` check and the hand-off."""
    import threading

    from app.hub.upload import HubUploader

    class ClosingLoop:  # closes just after the check, as the core's loop can
        def is_closed(self) -> bool:
            return False

        def call_soon_threadsafe(self, *_a: object) -> None:
            raise RuntimeError("Event loop is closed")

    uploader = HubUploader(repo=None)  # type: ignore[arg-type]  # kick touches no repo
    uploader._loop = ClosingLoop()  # type: ignore[assignment]
    errors: list[BaseException] = []

    def kick() -> None:
        try:
            uploader.kick()
        except BaseException as e:  # what the thread would have died of
            errors.append(e)

    t = threading.Thread(target=kick)
    t.start()
    t.join()
    assert errors == [] and not uploader._kick.is_set()
