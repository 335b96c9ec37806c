"""The window's first frame (benchmark P6): the shell shown from the fast-path settings
imports no heavy module, and ``attach`` then builds the full window in it (one rehearsal
banner, the board, the menus) as ``MainWindow(service)`` does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.ui.banners import RehearsalBanner
from app.ui.main_window import MainWindow
from tests.helpers import started_core

ROOT = Path(__file__).resolve().parents[2]

# what the first frame must not pay for: each is imported after the paint or on first use
HEAVY = [
    "pydantic", "pydantic_settings", "qasync", "asyncio", "sqlalchemy", "httpx", "aiohttp",
    "app.core.config", "app.ui.bridge", "app.ui.board.view", "app.ui.detail.panel",
    "app.ui.map.view", "app.ui.menus", "app.ui.alerts", "PySide6.QtMultimedia",
    "app.ui.tray", "app.ui.single_instance", "PySide6.QtNetwork",
]  # fmt: skip

FIRST_FRAME = """
import json, sys
from app.core.quick_settings import read_first_frame
from app.ui import app as ui_app
quick = read_first_frame()
qapp = ui_app._make_app(None, quick.language)
window = ui_app._first_frame(qapp, quick)
print(json.dumps({"title": window.windowTitle(), "status": window.statusBar().currentMessage(),
                  "modules": sorted(sys.modules)}))
"""


def test_first_frame_imports_nothing_heavy(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPEI_")}
    env.update(QT_QPA_PLATFORM="offscreen", JUPEI_HOME=str(tmp_path), PYTHONPATH=str(ROOT))
    env["JUPEI_STORE__NAME"] = "老王面馆"
    out = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120, check=True,
    )  # fmt: skip
    shown = json.loads(out.stdout.strip().splitlines()[-1])
    assert shown["title"] == "聚配 JuPei — 老王面馆"
    assert shown["status"] == "正在启动…"
    assert [m for m in HEAVY if m in shown["modules"]] == []


@pytest.mark.gui
@pytest.mark.asyncio
@pytest.mark.integration
async def test_attach_builds_the_window_in_the_shell(qtbot, tmp_path):
    win = MainWindow.shell(store_name="快照店", rehearsal=True)
    qtbot.addWidget(win)
    win.show_starting()
    win.show()
    assert win.windowTitle() == "聚配 JuPei — 快照店"
    assert len(win.findChildren(RehearsalBanner)) == 1
    assert not hasattr(win, "board")
    async with started_core(tmp_path) as core:
        win.attach(core.service, tile_source="offline")
        await win.start()
        win.core_ready()
        assert win.windowTitle() == f"聚配 JuPei — {core.service.settings.store.name}"
        assert len(win.findChildren(RehearsalBanner)) == 1  # the shell's banner, kept
        assert win.board.isVisible() and win.map.isVisible()
        assert {"manual", "simulate", "ack"} <= set(win.actions_by_name)
        assert win.statusBar().currentMessage() == ""
        win.close()
