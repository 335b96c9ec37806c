"""The counter's screen when an older release's database could not be upgraded: the old
file is untouched and the box says so, in Chinese and in English."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.core.upgrade_errors import UpgradeFailed
from app.ui.upgrade_failed import upgrade_failed_box

pytestmark = pytest.mark.gui
SHOTS = Path("/tmp/shots")
REASON = (
    "数据库升级失败，原文件未改动。The database /data/jupei.db could not be upgraded from "
    "revision 0006 to 0007 and was left untouched (the previous version still opens it): "
    "OperationalError: table hub_outbox already exists"
)


def _shot(box, name: str) -> None:
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        SHOTS.mkdir(parents=True, exist_ok=True)
        box.grab().save(str(SHOTS / name))


def test_box_says_the_file_is_untouched_in_both_languages(qtbot, qapp):
    from app.ui.i18n import install_translators, remove_translators

    box = upgrade_failed_box(None, UpgradeFailed(REASON))
    qtbot.addWidget(box)
    assert box.windowTitle() == "数据库升级失败"
    assert "原数据库文件没有改动" in box.text() and "上一个版本" in box.informativeText()
    assert box.detailedText() == REASON
    box.show()
    _shot(box, "o4_upgrade_failed_zh.png")
    box.close()
    ts = install_translators(qapp, "en")
    try:
        en = upgrade_failed_box(None, UpgradeFailed(REASON))
        qtbot.addWidget(en)
        assert en.windowTitle() == "Database upgrade failed"
        assert "left untouched" in en.text() and "previous version" in en.informativeText()
        en.show()
        _shot(en, "o4_upgrade_failed_en.png")
        en.close()
    finally:
        remove_translators(qapp, ts)
        install_translators(qapp, "zh_CN")


@pytest.mark.asyncio
async def test_shown_without_a_nested_loop_until_closed(qtbot):
    import asyncio

    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.ui.upgrade_failed import show_upgrade_failed

    shown = asyncio.ensure_future(show_upgrade_failed(None, UpgradeFailed(REASON)))
    box = None
    while box is None:  # the loop keeps running while the box is up
        await asyncio.sleep(0.01)
        box = next(
            (w for w in QApplication.topLevelWidgets()
             if w.objectName() == "UpgradeFailedBox" and w.isVisible()),
            None,
        )  # fmt: skip
    qtbot.addWidget(box)
    assert not shown.done()
    box.button(QMessageBox.StandardButton.Close).click()
    await shown
