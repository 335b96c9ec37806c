"""Tools -> 诊断包…: the diagnostics ZIP for support (``app.core.diagnostics``).

Collecting reads the database (``PRAGMA quick_check``), logs and the secret store, so it
runs in a worker thread, off the Qt thread; its progress reaches the bar through a
queued signal. The running app adds its own view (printer states, order-source health).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.diagnostics import collect, default_zip_name, write_zip
from app.ui.bridge import spawn


def _tr(text: str) -> str:
    return QCoreApplication.translate("DiagnosticsDialog", text)


def _stage(what: str) -> str:
    return {
        "secrets": _tr("密钥（只用于脱敏）"),
        "system": _tr("版本和系统"),
        "config": _tr("配置"),
        "database": _tr("数据库检查"),
        "health": _tr("运力、订单来源和打印机"),
        "logs": _tr("日志"),
        "done": _tr("打包"),
    }.get(what, what)


def _plain(value: Any) -> Any:
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value  # type: ignore[arg-type]


class DiagnosticsDialog(QDialog):
    progressed = Signal(int, str)  # emitted from the worker thread; queued to the bar

    def __init__(self, service: Any, parent: QWidget | None = None, *,
                 folder: Path | None = None, alerts: list[Any] | None = None,
                 config_problem: str = "") -> None:  # fmt: skip
        """``alerts``: the counter's unacknowledged alerts; ``config_problem``: why the
        settings file was not used (the window's red banner), both into the pack."""
        super().__init__(parent)
        self.alerts = [_plain(a) for a in alerts or []]
        self.config_problem = config_problem
        self.setObjectName("DiagnosticsDialog")
        self.setWindowTitle(_tr("诊断包"))
        self.service = service
        self.result: Path | None = None
        intro = QLabel(
            _tr(
                "把版本、系统、配置（不含密钥）、最近的日志（已脱敏）、数据库检查和"
                "运行状况打包成一个 ZIP，发给客服。包里没有密钥，也没有完整的手机号。"
            )
        )
        intro.setWordWrap(True)
        folder = folder or Path.home()
        self.path_edit = QLineEdit(str(folder / default_zip_name()))
        self.browse_button = QPushButton(_tr("浏览…"))
        self.browse_button.clicked.connect(self._browse)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.summary = QPlainTextEdit()
        self.summary.setReadOnly(True)
        self.summary.setMinimumHeight(150)
        self.make_button = QPushButton(_tr("生成诊断包"))
        self.make_button.setDefault(True)
        self.make_button.clicked.connect(lambda: spawn(self.run(), "diagnostics"))
        self.open_button = QPushButton(_tr("打开所在文件夹"))
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open_folder)
        self.close_button = QPushButton(_tr("关闭"))
        self.close_button.clicked.connect(self.reject)
        self.progressed.connect(self._on_progress)
        path_row = QHBoxLayout()
        path_row.addWidget(QLabel(_tr("保存到")))
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.make_button, self.open_button, self.close_button):
            buttons.addWidget(b)
        root = QVBoxLayout(self)
        root.addWidget(intro)
        root.addLayout(path_row)
        root.addWidget(self.progress)
        root.addWidget(self.status)
        root.addWidget(self.summary, 1)
        root.addLayout(buttons)
        self.resize(640, 420)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, _tr("保存诊断包"), self.path_edit.text(), "ZIP (*.zip)"
        )
        if path:
            self.path_edit.setText(path)

    def _open_folder(self) -> None:
        if self.result is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.result.parent)))

    def _on_progress(self, pct: int, what: str) -> None:
        if self.make_button.isEnabled():
            return  # a queued report arriving after the pack was made
        self.progress.setValue(pct)
        self.status.setText(_tr("正在收集：%1").replace("%1", _stage(what)))

    def _busy(self, busy: bool) -> None:
        for b in (self.make_button, self.close_button, self.browse_button):
            b.setEnabled(not busy)

    def _make(self, target: Path) -> tuple[Path, str]:
        """The worker thread: the service's sync calls are marshalled to the core thread."""
        svc = self.service
        live: dict[str, Any] = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        live["alerts"] = self.alerts
        try:
            live["printers"] = [_plain(p) for p in svc.printer_status()]
            live["sources"] = [_plain(h) for h in svc.source_health()]
        except Exception as e:  # the pack is most wanted when something is broken
            live["error"] = f"{type(e).__name__}: {e}"
        diag = collect(
            svc.settings,
            config_path=getattr(svc, "config_path", None),
            store=getattr(svc, "secrets", None),
            live=live,
            progress=self.progressed.emit,
            config_problem=self.config_problem,
        )
        return write_zip(diag, target), diag.summary()

    async def run(self) -> Path | None:
        """Make one pack; returns its path, or None when it failed (said in the dialog)."""
        target = Path(self.path_edit.text())
        if target.is_dir():
            target = target / default_zip_name()
        self.progress.setValue(0)
        self.open_button.setEnabled(False)
        self._busy(True)
        try:
            path, summary = await asyncio.to_thread(self._make, target)
        except OSError as e:
            self.status.setText(_tr("生成失败：%1").replace("%1", str(e)))
            return None
        finally:
            self._busy(False)
        self.result = path
        self.progress.setValue(100)
        self.summary.setPlainText(summary)
        self.path_edit.setText(str(path))  # the full path; the status line keeps it short
        self.status.setText(_tr("已保存：%1").replace("%1", path.name))
        self.open_button.setEnabled(True)
        return path
