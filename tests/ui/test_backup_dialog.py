"""Tools -> 备份/恢复: the dialog lists the backups, backs up with progress off the Qt
thread, and stages a restore (refusing a corrupt file) — over a real core."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.pos.schema import payload_hash
from app.ui.backup_dialog import BackupDialog
from tests.helpers import sample_order, started_core

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
