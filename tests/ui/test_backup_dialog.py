"""Tools -> 备份/恢复: the dialog lists the backups, backs up with progress off the Qt
thread, and stages a restore (refusing a corrupt file) — over a real core."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.pos.schema import payload_hash
from app.ui.backup_dialog import BackupDialog
from tests.helpers import sample_order, started_core, wait_until

pytestmark = [pytest.mark.gui, pytest.mark.asyncio]


async def test_backup_dialog_backs_up_and_stages_a_restore(qtbot, tmp_path):
    async with started_core(tmp_path) as core:
        svc = core.service
        svc.db.insert_orders([(sample_order("P1"), payload_hash({"p": 1}), "pos")], svc.clock.now())
        dlg = BackupDialog(svc)
        qtbot.addWidget(dlg)
        await dlg.refresh()
        assert dlg.list.count() == 0 and str(tmp_path / "backups") in dlg.folder_label.text()
        made = await dlg.run_backup()
        assert made is not None and made.exists()
        assert dlg.progress.value() == 100 and dlg.list.count() == 1
        assert made.name in dlg.list.item(0).text()
        assert str(made) in dlg.status.text()
        bad = tmp_path / "bad.db"
        bad.write_bytes(b"not sqlite" * 50)
        assert await dlg.prepare_restore(bad) is None
        assert dlg.status.text().startswith("不能恢复")
        staged = await dlg.prepare_restore(made)
        assert staged is not None and staged.exists()
        assert "重新启动" in dlg.status.text() and dlg.restore_button.isEnabled()
        dlg.resize(640, 360)
        shots = Path("/tmp/shots")
        shots.mkdir(exist_ok=True)
        assert dlg.grab().save(str(shots / "o3_backup_dialog.png"))


async def test_english_catalogue_has_the_backup_strings():
    import re

    from PySide6.QtCore import QTranslator

    import app.ui.backup_dialog as mod

    root = Path(__file__).resolve().parents[2]
    t = QTranslator()
    assert t.load(str(root / "resources" / "i18n" / "jupei_en.qm"))
    assert t.translate("MainWindow", "备份/恢复…") == "Backup/Restore…"
    source = Path(mod.__file__).read_text(encoding="utf-8")
    zh = set(re.findall(r'_tr\(\s*"([^"]+)"', source))
    assert len(zh) >= 15
    assert [s for s in zh if not t.translate("BackupDialog", s)] == []


async def test_backup_through_the_real_service_proxy(qtbot, tmp_path):
    """As in the app: the service on the core thread behind ``ServiceProxy``; the copy in
    a worker thread, its progress reaching the bar through the queued signal."""
    from app.bootstrap import build_core
    from app.core.runtime import CoreRuntime
    from app.core.sandbox.engine import SandboxEngine
    from app.core.secrets import MemorySecretStore
    from app.ui.bridge import ServiceProxy
    from tests.helpers import make_settings

    settings = make_settings(tmp_path)
    rt = CoreRuntime(name="test-core")
    rt.start()
    core = None
    try:

        async def start():
            c = build_core(
                settings,
                secrets=MemorySecretStore(),
                sandbox_engine=SandboxEngine(seed=1, speed=0),
            )
            await c.start(pos=False)
            return c

        core = await rt.run(start())
        proxy = ServiceProxy(rt, settings=settings)
        proxy.attach(core.service)
        seen: list[tuple[int, int]] = []
        dlg = BackupDialog(proxy)
        qtbot.addWidget(dlg)
        dlg.progressed.connect(lambda d, t: seen.append((d, t)))
        await dlg.refresh()
        made = await dlg.run_backup()
        assert made is not None and made.parent == tmp_path / "backups"
        await wait_until(lambda: bool(seen) and seen[-1][0] == seen[-1][1])
        assert dlg.list.count() == 1
    finally:
        if core is not None:
            await rt.run(core.stop())
        rt.stop()
