"""Qt's own words in the Chinese UI: the settings dialog's buttons read 保存/取消 (Qt's
``qtbase_zh_CN`` catalogue, found through QLibraryInfo or the PySide6 package), English
reads Save/Cancel, and the bundle's translation filter keeps the Chinese catalogue."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from app.bootstrap import build_core
from app.core.sandbox.engine import SandboxEngine
from app.ui.i18n import (
    install_translators,
    qt_catalogue_missing,
    qt_translation_dirs,
    remove_translators,
)
from app.ui.settings.dialog import SettingsDialog
from tests.helpers import make_settings

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]


def _buttons(dlg) -> list[str]:
    box = dlg.findChild(QDialogButtonBox)
    return [box.button(b).text().replace("&", "") for b in (box.StandardButton.Save, box.StandardButton.Cancel)]  # fmt: skip


@pytest.mark.asyncio
async def test_settings_buttons_read_chinese_then_english(
    qtbot, qapp, tmp_path, memory_keyring, tmp_data
):
    core = build_core(make_settings(tmp_path), sandbox_engine=SandboxEngine(seed=1, speed=0))
    await core.start(pos=False)
    try:
        ts = install_translators(qapp, "zh_CN")  # as app.ui.app._make_app does
        assert ts, "Qt's Chinese catalogue was not installed"
        dlg = SettingsDialog(core.service)
        qtbot.addWidget(dlg)
        assert _buttons(dlg) == ["保存", "取消"]
        en = install_translators(qapp, "en")  # replaces the Chinese catalogues
        try:
            english = SettingsDialog(core.service)
            qtbot.addWidget(english)
            assert _buttons(english) == ["Save", "Cancel"]
        finally:
            remove_translators(qapp, en)
            install_translators(qapp, "zh_CN")
    finally:
        await core.stop()


def test_the_catalogue_is_found_and_a_missing_one_is_named(qapp):
    import PySide6

    dirs = qt_translation_dirs()
    assert dirs and all(Path(d).is_dir() for d in dirs)
    assert any(Path(d, "qtbase_zh_CN.qm").is_file() for d in dirs)
    assert str(Path(PySide6.__file__).parent / "Qt" / "translations") in dirs or os.name == "nt"
    assert qt_catalogue_missing("zh_CN") == ""  # what --smoke checks in the bundle
    assert "qtbase_xx_YY.qm not found" in qt_catalogue_missing("xx_YY")


def test_the_bundle_keeps_the_chinese_qt_catalogue():
    """build.spec's translation filter, run on the paths PyInstaller collects."""
    tree = ast.parse((ROOT / "build.spec").read_text(encoding="utf-8"))
    fn = next(
        n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "_wanted_translation"
    )
    scope: dict = {"os": os}
    exec(compile(ast.Module([fn], []), "build.spec", "exec"), scope)
    wanted = scope["_wanted_translation"]
    base = "PySide6/Qt/translations/"
    assert wanted(base + "qtbase_zh_CN.qm") and wanted(base + "qt_zh_CN.qm")
    assert wanted(base + "qtbase_en.qm")
    assert not wanted(base + "qtbase_de.qm") and not wanted(base + "qtbase_zh_TW.qm")
