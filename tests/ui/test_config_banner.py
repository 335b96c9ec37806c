"""Issue 19 item 2, the GUI side: a broken settings file does not stop the counter. The
window runs on the last good copy (or the defaults), shows the problem (file, line, key)
in a red banner whose button opens the settings, and the banner goes once the settings
are saved (which writes a good file)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from app.bootstrap import build_core
from app.core.config import load_settings_or_fallback
from app.core.config_errors import last_good_path
from app.core.sandbox.engine import SandboxEngine
from app.core.secrets import MemorySecretStore
from app.ui.banners import ConfigProblemBanner
from app.ui.main_window import MainWindow
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parents[2]


def _good(tmp_path: Path) -> str:
    return (
        '[store]\nname = "川味小馆"\nlat = 30.66\nlng = 104.06\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "test.db"}"\n'
        "[pos]\nport = 0\n"
        '[rehearsal]\nmode = "on"\nspeed = 0.0\nport = 0\nsources = false\n'
    )


@pytest.mark.gui
@pytest.mark.asyncio
@pytest.mark.integration
@pytest.mark.allow_warnings  # "running on the last good copy" is logged
async def test_gui_runs_on_the_last_good_config_and_shows_the_problem(
    qtbot, tmp_path, tmp_data, monkeypatch
):
    cfg = tmp_path / "config.toml"
    cfg.write_text(_good(tmp_path), encoding="utf-8")
    settings, problem = load_settings_or_fallback(cfg)  # loads: kept as the last good
    assert problem is None and last_good_path(cfg).is_file()
    cfg.write_text(_good(tmp_path).replace("port = 0\n", 'port = "零"\n', 1), encoding="utf-8")

    settings, problem = load_settings_or_fallback(cfg)
    assert problem is not None and problem.running_on == last_good_path(cfg)
    assert settings.store.name == "川味小馆"  # the last good copy, not the defaults
    core = build_core(
        settings,
        config_path=cfg,
        secrets=MemorySecretStore(),
        sandbox_engine=SandboxEngine(seed=1, speed=0),
    )
    await core.start(pos=False)
    try:
        win = MainWindow.shell(store_name=settings.store.name, rehearsal=True)
        qtbot.addWidget(win)
        win.show()
        win.attach(core.service, tile_source="offline")
        win.show_config_problem(problem.message("zh_CN"), on_last_good=True)
        await win.start()
        win.core_ready()
        [banner] = win.findChildren(ConfigProblemBanner)
        assert banner.isVisible() and win.board.isVisible()
        text = banner.label.text()
        assert "已按上次可用的配置启动" in text
        assert str(cfg) in text and "第 8 行" in text and "pos.port" in text

        opened: list[object] = []

        async def fake_open_settings(parent, service):  # the PIN gate is its own test
            opened.append(service)

        monkeypatch.setattr("app.ui.settings.dialog.open_settings", fake_open_settings)
        qtbot.mouseClick(banner.button, qtbot_left())
        await wait_until(lambda: opened)
        assert opened == [core.service]

        await core.service.save_settings(settings)  # what the dialog's save does
        await wait_until(lambda: not banner.isVisible())
        assert tomllib.loads(cfg.read_text(encoding="utf-8"))["store"]["name"] == "川味小馆"
        win.close()
    finally:
        await core.stop()


@pytest.mark.gui
def test_banner_on_the_defaults_says_so_and_hides(qtbot):
    banner = ConfigProblemBanner("配置文件有误：x", on_last_good=False)
    qtbot.addWidget(banner)
    banner.show()
    assert "已按默认配置启动" in banner.label.text() and "配置文件有误：x" in banner.label.text()
    qtbot.mouseClick(banner.close_button, qtbot_left())
    assert not banner.isVisible()


@pytest.mark.slow
@pytest.mark.gui
def test_the_real_gui_starts_on_a_broken_config_and_screenshots_it(tmp_path):
    """``python -m app --config BROKEN --screenshot`` runs the real start-up path: it
    exits 0 with a picture of the window (the banner in it), not a traceback."""
    cfg = tmp_path / "config.toml"
    cfg.write_text("[store\nname = 'x'\n", encoding="utf-8")
    shot = tmp_path / "o2_config_banner.png"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPEI_")}
    env.update(QT_QPA_PLATFORM="offscreen", JUPEI_HOME=str(tmp_path / "home"))
    out = subprocess.run(
        [sys.executable, "-m", "app", "--config", str(cfg), "--screenshot", str(shot),
         "--demo", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    assert "Config error in" in out.stderr  # the warning in the log: once, in English
    assert shot.is_file() and shot.stat().st_size > 10_000


def qtbot_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
