"""What the counter shows when the database from an older release could not be upgraded
(app/core/storage/upgrade.py): the old file is untouched, the previous version still
opens it; the technical reason is in the details."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from app.core.upgrade_errors import UpgradeFailed


def _tr(text: str) -> str:
    return QCoreApplication.translate("UpgradeFailed", text)


def upgrade_failed_box(parent: QWidget | None, exc: UpgradeFailed) -> QMessageBox:
    box = QMessageBox(parent)
    box.setObjectName("UpgradeFailedBox")
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(_tr("数据库升级失败"))
    box.setText(_tr("新版本无法升级这个数据库。原数据库文件没有改动，订单一条不少。"))
    box.setInformativeText(
        _tr(
            "请重新安装上一个版本继续营业（它仍能打开这个数据库），"
            "并把「详细信息」或诊断包（python -m app diagnose --zip）发给客服。"
        )
    )
    box.setDetailedText(str(exc))
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    return box


async def show_upgrade_failed(parent: QWidget | None, exc: UpgradeFailed) -> None:
    """The box, opened with ``open()`` (never ``exec()``: the qasync loop keeps running),
    until the cashier closes it."""
    box = upgrade_failed_box(parent, exc)
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    box.finished.connect(lambda _r: done.done() or done.set_result(None))
    box.open()
    await done
