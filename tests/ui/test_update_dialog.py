"""Tools -> 检查更新…: the signed-update dialog against a loopback feed (tufup): the offer is
shown, the install needs the manager's tick and waits while a delivery is live, then
installs into a temp install dir; a tampered archive is said and nothing is installed."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QMainWindow

pytest.importorskip("tufup")

from app.core.config import UpdateSettings
from app.core.domain import DeliveryAttempt, DeliveryStatus
from app.core.updates import Updater
from app.ui.main_window import MainWindow
from app.ui.update_dialog import UpdateDialog, startup_check
from tests.fakes.update_feed import installed, publish, serve
from tests.helpers import sample_order, started_core

pytestmark = [pytest.mark.gui, pytest.mark.asyncio, pytest.mark.integration]
SHOT = Path("/tmp/shots/o6_update.png")


class _Service:
    def __init__(self) -> None:
        self.live = 0

    async def live_delivery_count(self) -> int:
        return self.live


def _updater(url: str, inst: Path, tmp_path: Path) -> Updater:
    return Updater(
        UpdateSettings(url=url),
        current_version="0.1.0",
        install_dir=inst,
        state_dir=tmp_path / "state",
    )


async def test_offer_consent_rush_then_install(qtbot, tmp_path):
    with serve(tmp_path) as (url, served):
        root = publish(tmp_path, served, "0.1.0", "0.2.0")
        inst = installed(tmp_path, "0.1.0", root)
        svc = _Service()
        dlg = UpdateDialog(svc, _updater(url, inst, tmp_path))
        qtbot.addWidget(dlg)
        dlg.show()
        assert not dlg.install_button.isEnabled() and not dlg.consent.isEnabled()
        offer = await dlg.check()
        assert offer is not None and offer.version == "0.2.0"
        assert "新版本 0.2.0 可用" in dlg.status.text()
        assert dlg.consent.isEnabled() and not dlg.install_button.isEnabled()  # no tick yet
        dlg.consent.setChecked(True)
        assert dlg.install_button.isEnabled()
        if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
            SHOT.parent.mkdir(parents=True, exist_ok=True)
            dlg.grab().save(str(SHOT))
        svc.live = 3  # a rush: refused, nothing installed, the offer stays
        assert await dlg.install() is None
        assert "还有 3 单配送进行中" in dlg.status.text()
        assert (inst / "_internal" / "VERSION").read_text() == "0.1.0"
        assert dlg.install_button.isEnabled()
        svc.live = 0
        assert await dlg.install() == "0.2.0"
        assert (inst / "_internal" / "VERSION").read_text() == "0.2.0"
        assert "已安装 0.2.0" in dlg.status.text()
        assert not dlg.install_button.isEnabled() and dlg.check_button.isEnabled()
        dlg.close()


async def test_deferred_install_says_to_close_jupei(qtbot, tmp_path, monkeypatch):
    """Windows: the files move after JuPei exits; the dialog says so."""
    from app.core import updates

    monkeypatch.setattr(updates, "_default_installer", lambda: lambda src, dst: True)
    with serve(tmp_path) as (url, served):
        root = publish(tmp_path, served, "0.1.0", "0.2.0")
        inst = installed(tmp_path, "0.1.0", root)
        dlg = UpdateDialog(_Service(), _updater(url, inst, tmp_path))
        qtbot.addWidget(dlg)
        assert await dlg.check() is not None
        dlg.consent.setChecked(True)
        assert await dlg.install() == "0.2.0"
        assert dlg.status.text().startswith("0.2.0 已下载并校验：请关闭聚配")


async def test_tampered_archive_is_said_and_not_installed(qtbot, tmp_path):
    with serve(tmp_path) as (url, served):
        root = publish(tmp_path, served, "0.1.0", "0.2.0")
        archive = served / "targets" / "JuPei-0.2.0.tar.gz"
        data = bytearray(archive.read_bytes())
        data[-10] ^= 0x01
        archive.write_bytes(bytes(data))
        inst = installed(tmp_path, "0.1.0", root)
        dlg = UpdateDialog(_Service(), _updater(url, inst, tmp_path))
        qtbot.addWidget(dlg)
        assert await dlg.check() is not None
        dlg.consent.setChecked(True)
        assert await dlg.install() is None
        assert dlg.status.text().startswith("下载的安装包校验失败")
        assert (inst / "_internal" / "VERSION").read_text() == "0.1.0"


async def test_off_without_url(qtbot, tmp_path):
    dlg = UpdateDialog(_Service(), Updater(UpdateSettings(), current_version="0.1.0",
                                           install_dir=tmp_path, state_dir=tmp_path))  # fmt: skip
    qtbot.addWidget(dlg)
    assert not dlg.check_button.isEnabled() and "[updates]" in dlg.status.text()


async def test_startup_check_says_so_in_the_status_bar(qtbot, tmp_path, tmp_data, monkeypatch):
    import app.ui.update_dialog as mod

    with serve(tmp_path) as (url, served):
        root = publish(tmp_path, served, "0.1.0", "0.2.0")
        inst = installed(tmp_path, "0.1.0", root)
        monkeypatch.setattr(mod, "__version__", "0.1.0")
        win = QMainWindow()
        qtbot.addWidget(win)
        win.service = SimpleNamespace(settings=SimpleNamespace(updates=UpdateSettings(url=url)))
        monkeypatch.setattr(mod, "bundle_dir", lambda: None)  # from source: no look at all
        assert await startup_check(win) is None and win.statusBar().currentMessage() == ""
        monkeypatch.setattr(mod, "bundle_dir", lambda: inst)
        offer = await startup_check(win)
        assert offer is not None and offer.version == "0.2.0"
        assert "新版本 0.2.0 可用" in win.statusBar().currentMessage()
        assert (inst / "_internal" / "VERSION").read_text() == "0.1.0"  # nothing installed
        served_meta = served / "metadata" / "timestamp.json"
        served_meta.write_text("{}", encoding="utf-8")  # a broken feed: quiet, no message
        win.statusBar().clearMessage()
        assert await startup_check(win) is None and win.statusBar().currentMessage() == ""


async def test_menu_action_and_live_count_from_the_core(qtbot, tmp_path, tmp_data, monkeypatch):
    win = MainWindow.shell(store_name="更新店", rehearsal=True)
    qtbot.addWidget(win)
    async with started_core(tmp_path) as core:
        svc = core.service
        win.attach(svc, tile_source="offline")
        await win.start()
        looked: list[object] = []

        async def fake_check(w):
            looked.append(w)

        monkeypatch.setattr("app.ui.update_dialog.startup_check", fake_check)
        win.core_ready()
        for _ in range(3):
            await asyncio.sleep(0)
        assert looked == [win]  # core_ready starts the one look per start
        act = win.actions_by_name["updates"]
        assert act.objectName() == "act_updates" and act.text() == "检查更新…"
        out = await svc.receive_order(sample_order("U1"), "h1", "pos")
        assert await svc.live_delivery_count() == 0
        oid = out.order.id
        await svc.db.run(
            svc.db.insert_attempt,
            DeliveryAttempt(oid, 1, "dada", "JP-U1-1", DeliveryStatus.ACCEPTED,
                            created_at=svc.clock.now()),
        )  # fmt: skip
        assert await svc.live_delivery_count() == 1
        win.close()


async def test_english_catalogue_has_the_update_strings():
    from PySide6.QtCore import QTranslator

    import app.ui.update_dialog as mod

    qm = Path(__file__).resolve().parents[2] / "resources" / "i18n" / "jupei_en.qm"
    t = QTranslator()
    assert t.load(str(qm))
    assert t.translate("MainWindow", "检查更新…") == "Check for updates…"
    source = Path(mod.__file__).read_text(encoding="utf-8")
    zh = set(re.findall(r'_tr\(\s*"([^"]+)"', source))
    zh.add("更新包由聚配签名发布；签名、版本和文件校验不通过的更新一律拒绝。有配送进行中时不会安装。")  # fmt: skip
    zh.discard("更新包由聚配签名发布；签名、版本和文件校验不通过的更新一律拒绝。")
    assert len(zh) >= 20
    missing = [s for s in zh if not t.translate("UpdateDialog", s)]
    assert missing == []
