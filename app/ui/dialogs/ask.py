"""Awaitable, window-modal dialogs: ``await confirm(...)`` / ``await ask_amount(...)``.

They are opened with ``open()`` (never ``exec()``), so the qasync loop, the board and the
alerts keep running while the cashier decides."""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox, QWidget


def _future() -> asyncio.Future:
    return asyncio.get_running_loop().create_future()


def _settle(fut: asyncio.Future, value) -> None:
    if not fut.done():
        fut.set_result(value)


async def confirm(parent: QWidget | None, title: str, text: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)  # fmt: skip
    box.setObjectName("confirmBox")
    box.setDefaultButton(QMessageBox.StandardButton.No)
    fut = _future()
    box.finished.connect(
        lambda _r: _settle(fut, box.clickedButton() is box.button(QMessageBox.StandardButton.Yes))
    )
    box.open()
    try:
        return await fut
    finally:
        box.deleteLater()


async def ask_amount(parent: QWidget | None, title: str, label: str, *, value: float,
                     minimum: float, maximum: float, step: float) -> float | None:  # fmt: skip
    dlg = QInputDialog(parent)
    dlg.setObjectName("amountDialog")
    dlg.setWindowTitle(title)
    dlg.setLabelText(label)
    dlg.setInputMode(QInputDialog.InputMode.DoubleInput)
    dlg.setDoubleDecimals(2)
    dlg.setDoubleRange(minimum, maximum)
    dlg.setDoubleStep(step)
    dlg.setDoubleValue(value)
    fut = _future()
    dlg.finished.connect(
        lambda r: _settle(fut, dlg.doubleValue() if r == QDialog.DialogCode.Accepted else None)
    )
    dlg.open()
    try:
        return await fut
    finally:
        dlg.deleteLater()


async def ask_text(parent: QWidget | None, title: str, label: str, *, password=False) -> str | None:
    dlg = QInputDialog(parent)
    dlg.setObjectName("textDialog")
    dlg.setWindowTitle(title)
    dlg.setLabelText(label)
    if password:
        from PySide6.QtWidgets import QLineEdit

        dlg.setTextEchoMode(QLineEdit.EchoMode.Password)
    fut = _future()
    dlg.finished.connect(
        lambda r: _settle(fut, dlg.textValue() if r == QDialog.DialogCode.Accepted else None)
    )
    dlg.open()
    try:
        return await fut
    finally:
        dlg.deleteLater()
