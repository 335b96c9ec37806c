"""Export dialog: range, carriers, format, file; progress bar and cancel.

The export itself (``AppService.export``) runs in a worker thread, off the Qt
thread; its progress callback is called from that thread and reaches the bar through a
queued signal. Cancel sets a ``threading.Event`` the writer checks every thousand rows
(the partial file is removed). The manager PIN is asked by the caller before opening.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.clock import LOCAL_TZ
from app.core.reconciliation.export import ExportCancelled
from app.ui.bridge import spawn
from app.ui.labels import carrier_facts
from app.ui.reports import carrier_name

ExportFn = Callable[..., Any]  # AppService.export


def _qdate(d: dt.date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> dt.date:
    return dt.date(q.year(), q.month(), q.day())


class ExportDialog(QDialog):
    progressed = Signal(int, int)  # emitted from the worker thread; queued to the bar
    LIST_LABEL = "配送平台"  # what the checklist holds (head office: 门店)
    NONE_CHOSEN = "请至少选择一个配送平台"

    def __init__(self, export_fn: ExportFn, parent: QWidget | None = None, *,
                 carriers: Sequence[str] | None = None, actor: str = "manager",
                 today: dt.date | None = None, folder: Path | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle("导出对账表")
        self.export_fn, self.actor = export_fn, actor
        self.cancel_event = threading.Event()
        self.task: asyncio.Task | None = None
        self.result: Any = None
        today = today or dt.datetime.now(LOCAL_TZ).date()
        self.date_from = QDateEdit(_qdate(today.replace(day=1)))
        self.date_to = QDateEdit(_qdate(today))
        for e in (self.date_from, self.date_to):
            e.setCalendarPopup(True)
            e.setDisplayFormat("yyyy-MM-dd")
        ids = [c for c, f in carrier_facts().items() if f.rules is not None]
        self.carrier_list = self._carrier_list(ids if carriers is None else carriers)
        self.format_combo = QComboBox()
        self.format_combo.addItem("Excel 工作簿 (.xlsx)", "xlsx")
        self.format_combo.addItem("CSV (.csv)", "csv")
        self.format_combo.currentIndexChanged.connect(self._fix_suffix)
        folder = folder or Path.home()
        self.path_edit = QLineEdit(str(folder / f"聚配对账_{today:%Y%m%d}.xlsx"))
        self.browse_button = QPushButton("浏览…")
        self.browse_button.clicked.connect(self._browse)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.status = QLabel("")
        self.export_button = QPushButton("导出")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(lambda: spawn(self.run_export(), "导出对账表"))
        self.cancel_button = QPushButton("取消导出")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button = QPushButton("关闭")
        self.close_button.clicked.connect(self.reject)
        self.progressed.connect(self._on_progress)
        self._layout()

    @staticmethod
    def _carrier_list(carriers: Sequence[str]) -> QListWidget:
        lst = QListWidget()
        for c in carriers:
            item = QListWidgetItem(carrier_name(c))
            item.setData(Qt.ItemDataRole.UserRole, c)
            item.setCheckState(Qt.CheckState.Checked)
            lst.addItem(item)
        return lst

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("开始营业日", self.date_from)
        form.addRow("结束营业日", self.date_to)
        form.addRow(self.LIST_LABEL, self.carrier_list)
        form.addRow("格式", self.format_combo)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)
        form.addRow("保存到", path_row)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.export_button, self.cancel_button, self.close_button):
            buttons.addWidget(b)
        root = QVBoxLayout(self)
        root.addLayout(form)
        root.addWidget(self.progress)
        root.addWidget(self.status)
        root.addLayout(buttons)

    # ------------------------------------------------------------------ inputs
    def fmt(self) -> str:
        return self.format_combo.currentData()

    def carriers(self) -> list[str]:
        items = (self.carrier_list.item(i) for i in range(self.carrier_list.count()))
        return [
            it.data(Qt.ItemDataRole.UserRole)
            for it in items
            if it.checkState() == Qt.CheckState.Checked
        ]

    def _fix_suffix(self) -> None:
        p = Path(self.path_edit.text())
        self.path_edit.setText(str(p.with_suffix("." + self.fmt())))

    def _browse(self) -> None:
        flt = "Excel (*.xlsx)" if self.fmt() == "xlsx" else "CSV (*.csv)"
        path, _ = QFileDialog.getSaveFileName(self, "保存对账表", self.path_edit.text(), flt)
        if path:
            self.path_edit.setText(path)

    # ------------------------------------------------------------------ running
    def _on_progress(self, done: int, total: int) -> None:
        if not self.cancel_button.isEnabled():
            return  # a queued report arriving after the export finished
        self.progress.setValue(int(done * 100 / total) if total else 100)
        self.status.setText(f"已写入 {done:,} / {total:,} 行")

    def cancel(self) -> None:
        self.cancel_event.set()
        self.status.setText("正在取消…")

    def _busy(self, busy: bool) -> None:
        self.export_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.close_button.setEnabled(not busy)

    async def run_export(self) -> Any:
        """Run one export; returns its result, or None if cancelled or nothing chosen."""
        chosen = self.carriers()
        if not chosen:
            self.status.setText(self.NONE_CHOSEN)
            return None
        a, b = sorted((_pydate(self.date_from.date()), _pydate(self.date_to.date())))
        all_chosen = len(chosen) == self.carrier_list.count()
        self.cancel_event.clear()
        self.progress.setValue(0)
        self.status.setText("正在导出…")
        self._busy(True)
        try:
            self.result = await self.export_fn(
                Path(self.path_edit.text()), date_from=a, date_to=b,
                carriers=None if all_chosen else chosen, fmt=self.fmt(),
                progress=self.progressed.emit, cancel=self.cancel_event, actor=self.actor,
            )  # fmt: skip
        except ExportCancelled:
            self.progress.setValue(0)
            self.status.setText("已取消，未保存文件")
            return None
        finally:
            self._busy(False)
        r = self.result
        self.progress.setValue(100)
        self.status.setText(f"已导出 {r.rows:,} 行，用时 {r.seconds:.1f} 秒：{r.path}")
        return r
