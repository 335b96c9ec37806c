"""The counter during a storage fault (issue 19 item 1): the real window on the real core
with its POS listener; the database's writes fail (engine fault hook) -> the POS hears
503, the red banner says what to do, one chime for six refused orders and no repeating
alert; writes work again -> the POS's retry is stored and the banner goes by itself."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from PySide6.QtWidgets import QLabel

from app.ui.banners import StorageBanner
from app.ui.i18n import install_translators, remove_translators
from app.ui.main_window import MainWindow
from tests.core.foundation.test_storage_faults import write_fault
from tests.fakes.pos import PosClient, payload
from tests.helpers import started_core, wait_until

pytestmark = [pytest.mark.gui, pytest.mark.integration]


@pytest.mark.asyncio
@pytest.mark.allow_warnings  # the storage fault is logged (once)
async def test_disk_full_banner_alerts_once_and_recovers(qtbot, tmp_path):
    async with (
        started_core(tmp_path, pos=True, alerts={"voice": False}) as core,
        httpx.AsyncClient(timeout=30) as http,
    ):
        pos = PosClient(core, http)
        win = MainWindow(core.service, tile_source="offline")
        qtbot.addWidget(win)
        await win.start()
        win.resize(1400, 860)
        win.show()
        banner = win.findChild(QLabel, "storageBanner")
        assert banner is not None and not banner.isVisible()
        before = list(win.alerts.player.played)
        with write_fault(core.service.db.engine, "database or disk is full"):
            codes = [(await pos.post("/orders", payload())).status_code for _ in range(6)]
            await wait_until(banner.isVisible)
        assert codes == [503] * 6
        assert banner.text().startswith("磁盘已满") and "释放磁盘空间" in banner.text()
        assert win.alerts.player.played[len(before) :] == ["attention"]  # one chime
        assert not [k for k in win.alerts.unacked if k[1] == "storage"]  # no repeating ring
        shots = Path(os.environ.get("JUPEI_TEST_SHOTS", tmp_path))  # e.g. /tmp/shots
        shots.mkdir(parents=True, exist_ok=True)
        assert win.grab().save(str(shots / "o1_disk_full.png"))

        r = await pos.post("/orders", payload())  # space is back: the POS retries
        assert r.status_code == 201
        await wait_until(lambda: not banner.isVisible())
        assert await pos.count_orders() == 1
        win.close()


def test_banner_words_per_fault_in_english(qtbot, qapp):
    zh = StorageBanner()
    qtbot.addWidget(zh)
    zh.show_fault("readonly")
    assert zh.text().startswith("数据库只读")
    zh.show_fault("busy")
    assert "锁住" in zh.text()
    zh.show_fault("")
    assert zh.isHidden()
    ts = install_translators(qapp, "en")
    try:
        en = StorageBanner()
        qtbot.addWidget(en)
        en.show_fault("full")
        assert en.text().startswith("DISK FULL") and "Free disk space" in en.text()
        en.show_fault("busy")
        assert en.text().startswith("DATABASE LOCKED")
    finally:
        remove_translators(qapp, ts)
        install_translators(qapp, "zh_CN")


@pytest.mark.asyncio
@pytest.mark.allow_warnings  # the failed action is logged
async def test_a_cashier_action_refused_by_storage_reads_as_words(qapp):
    import asyncio
    import sqlite3

    from app.ui import bridge

    said: list[str] = []
    bridge.set_error_sink(said.append)
    try:

        async def save():
            raise sqlite3.OperationalError("database or disk is full")

        task = bridge.spawn(save(), "manual order")
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)  # the done callback
        ts = install_translators(qapp, "en")
        try:
            task = bridge.spawn(save(), "manual order")
            await asyncio.gather(task, return_exceptions=True)
            await asyncio.sleep(0)
        finally:
            remove_translators(qapp, ts)
            install_translators(qapp, "zh_CN")
    finally:
        bridge.set_error_sink(None)
    assert said == [
        "磁盘已满，操作未保存 — 请释放磁盘空间后重试",
        "Disk full, not saved — free disk space, then try again",
    ]
