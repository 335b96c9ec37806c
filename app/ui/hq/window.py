"""The head-office window (``python -m app --hq``): every store's live board read-only with
a store filter, cross-store reports (charts + store × carrier × day table) and the
reconciliation export for chosen stores, all read from the hub.

No core, no SQLite: the window talks to an HQ client (``app.hub.hq_client.HqClient``, or
a fake in tests) whose blocking calls run in a worker thread (``asyncio.to_thread``), so
the GUI thread never waits on the network. QtCharts (the reports view) is imported only
when the reports tab is first opened.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.clock import LOCAL_TZ
from app.core.money import fmt_yuan
from app.ui import labels
from app.ui.board.model import column_title
from app.ui.bridge import spawn
from app.ui.export_dialog import ExportDialog

REFRESH_MS = 10_000  # the live board's first page is read again this often
PAGE = 100


def tr(text: str) -> str:
    return QCoreApplication.translate("HqWindow", text)


class HqClientLike(Protocol):
    url: str
    user: str

    def login(self, name: str, password: str) -> str: ...
    def stores(self) -> list[dict[str, Any]]: ...
    def board(self, store_ids: Sequence[str] = (), *, limit: int = ...,
              before: str | None = ...) -> tuple[list[dict[str, Any]], str | None]: ...  # fmt: skip
    def reports(self, date_from: dt.date, date_to: dt.date,
                store_ids: Sequence[str] = ()) -> dict[str, Any]: ...  # fmt: skip
    def export(self, path: Path, *, date_from: dt.date, date_to: dt.date,
               store_ids: Sequence[str] = ..., fmt: str = ..., lang: str = ...,
               progress: Callable[[int, int], None] | None = ...,
               cancel: Any = ...) -> Any: ...  # fmt: skip
    def close(self) -> None: ...


_Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("store", "pickup", "time", "channel", "customer", "address", "status", "carrier",
           "fee", "rider")  # fmt: skip
_TROUBLE = frozenset({"create_failed", "cancelled", "returning", "returned", "unknown"})


def _local(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return dt.datetime.fromisoformat(iso).astimezone(LOCAL_TZ).strftime("%m-%d %H:%M")
    except ValueError:
        return ""


class HqBoardModel(QAbstractTableModel):
    """The head-office board: rows as the hub sends them (newest first), read-only,
    keyed by (store, order) — each counter numbers its own orders."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # fmt: skip
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        key = COLUMNS[section]
        return tr("门店") if key == "store" else column_title(key)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        if role == Qt.ItemDataRole.ForegroundRole and COLUMNS[index.column()] == "status":
            return QColor("#c62828") if r.get("status") in _TROUBLE else None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return self.text(r, COLUMNS[index.column()])

    @staticmethod
    def text(r: dict[str, Any], key: str) -> str:
        if key == "store":
            return str(r.get("store_name") or "")
        if key == "pickup":
            return str(r.get("pickup_no") or r.get("pos_order_id") or "")
        if key == "time":
            return _local(r.get("received_at"))
        if key == "channel":
            return labels.channel_label(str(r.get("channel") or ""))
        if key == "customer":
            return " ".join(x for x in (r.get("customer"), r.get("customer_phone")) if x)
        if key == "address":
            return str(r.get("address") or "")
        if key == "status":
            return labels.status_label(str(r.get("status") or r.get("state") or ""))
        if key == "carrier":
            return labels.carrier_label(r.get("carrier"))
        if key == "fee":
            fee = r.get("fee_fen")
            return "" if fee is None else fmt_yuan(int(fee))
        if key == "rider":
            return str(r.get("rider") or "")
        return ""

    def reset(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def extend(self, rows: list[dict[str, Any]]) -> None:
        seen = {(r["store_id"], r["id"]) for r in self.rows}
        fresh = [r for r in rows if (r["store_id"], r["id"]) not in seen]
        if fresh:
            n = len(self.rows)
            self.beginInsertRows(QModelIndex(), n, n + len(fresh) - 1)
            self.rows.extend(fresh)
            self.endInsertRows()


class HqLoginDialog(QDialog):
    """Hub address + manager login; the login call runs off the GUI thread."""

    def __init__(self, make_client: Callable[[str], HqClientLike], url: str = "",
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle(tr("聚配总部 — 登录"))
        self.make_client = make_client
        self.client: HqClientLike | None = None
        self.url_edit = QLineEdit(url)
        self.url_edit.setPlaceholderText("https://hub.example.com")
        self.name_edit = QLineEdit()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.status = QLabel("")
        self.login_button = QPushButton(tr("登录"))
        self.login_button.setDefault(True)
        self.login_button.clicked.connect(lambda: spawn(self.try_login(), "总部登录"))
        form = QFormLayout()
        form.addRow(tr("总部服务器地址"), self.url_edit)
        form.addRow(tr("用户名"), self.name_edit)
        form.addRow(tr("密码"), self.password_edit)
        root = QVBoxLayout(self)
        root.addLayout(form)
        root.addWidget(self.status)
        root.addWidget(self.login_button)

    async def try_login(self) -> bool:
        url, name = self.url_edit.text().strip(), self.name_edit.text().strip()
        if not url or not name or not self.password_edit.text():
            self.status.setText(tr("请填写服务器地址、用户名和密码"))
            return False
        self.login_button.setEnabled(False)
        self.status.setText(tr("正在登录…"))
        client = self.make_client(url)
        try:
            await asyncio.to_thread(client.login, name, self.password_edit.text())
        except Exception as e:  # HqError / HqAuthError: say why, stay open
            self.status.setText(tr("登录失败：") + str(e))
            return False
        finally:
            self.login_button.setEnabled(True)
            self.password_edit.clear()
        self.client = client
        self.accept()
        return True


class HqExportDialog(ExportDialog):
    """The counter's export dialog with a store checklist instead of carriers."""

    LIST_LABEL = "门店"
    NONE_CHOSEN = "请至少选择一个门店"

    def __init__(self, client: HqClientLike, stores: list[dict[str, Any]],
                 parent: QWidget | None = None, *, today: dt.date | None = None,
                 folder: Path | None = None) -> None:  # fmt: skip
        super().__init__(self._export, parent, carriers=[], actor=client.user,
                         today=today, folder=folder)  # fmt: skip
        self.client = client
        self.setWindowTitle(tr("导出多门店对账表"))
        for s in stores:
            item = QListWidgetItem(f"{s['name']}（{s['group']}）" if s.get("group") else s["name"])
            item.setData(Qt.ItemDataRole.UserRole, s["id"])
            item.setCheckState(Qt.CheckState.Checked)
            self.carrier_list.addItem(item)
        today = today or dt.datetime.now(LOCAL_TZ).date()
        self.path_edit.setText(str((folder or Path.home()) / f"聚配总部对账_{today:%Y%m%d}.xlsx"))

    async def _export(self, path: Path, *, date_from: dt.date, date_to: dt.date,
                      carriers: list[str] | None, fmt: str, progress: Any, cancel: Any,
                      actor: str) -> Any:  # fmt: skip
        del actor  # the hub logs the export under the logged-in user
        return await asyncio.to_thread(
            self.client.export, path, date_from=date_from, date_to=date_to,
            store_ids=carriers or (), fmt=fmt, progress=progress, cancel=cancel,
        )  # fmt: skip


class HqWindow(QMainWindow):
    def __init__(self, client: HqClientLike, parent: QWidget | None = None, *,
                 today: dt.date | None = None, auto_refresh: bool = True) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("hqWindow")
        self.client = client
        self.today = today
        self.setWindowTitle(tr("聚配总部") + f" — {client.user} @ {client.url}")
        self.resize(1280, 760)
        self.stores: list[dict[str, Any]] = []
        self.next_cursor: str | None = None
        self.pending: set[asyncio.Task[Any]] = set()  # reloads started by the filter
        self._generation = 0  # a reload answered after a newer one started is dropped
        self.store_combo = QComboBox()
        self.store_combo.addItem(tr("全部门店"), "")
        self.store_combo.currentIndexChanged.connect(self._store_changed)
        self.refresh_button = QPushButton(tr("刷新"))
        self.refresh_button.clicked.connect(lambda: spawn(self.refresh(), "总部刷新"))
        self.export_button = QPushButton(tr("导出对账表…"))
        self.export_button.clicked.connect(self.open_export)
        self.status = QLabel("")
        self.model = HqBoardModel(self)
        self.table = QTableView()
        self.table.setObjectName("hqBoard")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.more_button = QPushButton(tr("加载更早的订单"))
        self.more_button.setEnabled(False)
        self.more_button.clicked.connect(lambda: spawn(self.load_more(), "总部看板翻页"))
        self.store_table = QTableWidget(0, 5)
        self.store_table.setHorizontalHeaderLabels(
            [tr("门店"), tr("分组"), tr("在线收银机"), tr("已同步订单"), tr("最近同步")]
        )
        self.store_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.store_table.horizontalHeader().setStretchLastSection(True)
        self.cells_table = QTableWidget(0, 8)
        self.cells_table.setHorizontalHeaderLabels(
            [tr("门店"), tr("营业日"), tr("配送平台"), tr("订单"), tr("取消率"),
             tr("净配送成本"), tr("平均接单(分钟)"), tr("平均送达(分钟)")]
        )  # fmt: skip
        self.cells_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.reports: Any = None  # the ReportsView, built on first use (QtCharts)
        self.tabs = QTabWidget()
        self._layout()
        self.timer = QTimer(self, interval=REFRESH_MS)
        self.timer.timeout.connect(lambda: spawn(self.reload_board(), "总部看板刷新"))
        if auto_refresh:
            self.timer.start()

    def _layout(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(QLabel(tr("门店")))
        bar.addWidget(self.store_combo, 1)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.export_button)
        bar.addStretch(2)
        board = QWidget()
        bl = QVBoxLayout(board)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(self.table, 1)
        bl.addWidget(self.more_button)
        self.reports_page = QWidget()
        self.reports_layout = QVBoxLayout(self.reports_page)
        self.tabs.addTab(board, tr("门店看板（只读）"))
        self.tabs.addTab(self.reports_page, tr("跨店报表"))
        self.tabs.addTab(self.store_table, tr("门店"))
        self.tabs.currentChanged.connect(self._tab_changed)
        central = QWidget()
        root = QVBoxLayout(central)
        root.addLayout(bar)
        root.addWidget(self.tabs, 1)
        root.addWidget(self.status)
        self.setCentralWidget(central)

    # ------------------------------------------------------------------ data
    def selected_stores(self) -> list[str]:
        sid = self.store_combo.currentData()
        return [sid] if sid else []

    async def refresh(self) -> None:
        """Stores, then the board's newest page (and the reports, when open)."""
        self.refresh_button.setEnabled(False)
        try:
            self.stores = await asyncio.to_thread(self.client.stores)
            self._fill_stores()
            await self.reload_board()
            if self.reports is not None and self.tabs.currentWidget() is self.reports_page:
                await self.reports.refresh()
        except Exception as e:  # the hub away or the login expired: say so, keep the rows
            self.status.setText(tr("读取总部数据失败：") + str(e))
        finally:
            self.refresh_button.setEnabled(True)

    def _fill_stores(self) -> None:
        current = self.store_combo.currentData()
        self.store_combo.blockSignals(True)
        self.store_combo.clear()
        self.store_combo.addItem(tr("全部门店"), "")
        for s in self.stores:
            label = f"{s['group']} · {s['name']}" if s.get("group") else s["name"]
            self.store_combo.addItem(label, s["id"])
        i = self.store_combo.findData(current)
        self.store_combo.setCurrentIndex(max(i, 0))
        self.store_combo.blockSignals(False)
        self.store_table.setRowCount(len(self.stores))
        for row, s in enumerate(self.stores):
            values = (s["name"], s.get("group") or "", str(s.get("devices", 0)),
                      str(s.get("orders", 0)), _local(s.get("last_sync_at")))  # fmt: skip
            for col, v in enumerate(values):
                self.store_table.setItem(row, col, QTableWidgetItem(v))

    async def reload_board(self) -> None:
        self._generation += 1
        mine = self._generation
        try:
            rows, nxt = await asyncio.to_thread(self.client.board, self.selected_stores(),
                                                limit=PAGE)  # fmt: skip
        except Exception as e:
            self.status.setText(tr("读取总部数据失败：") + str(e))
            return
        if mine != self._generation:
            return  # the filter changed meanwhile: the newer reload fills the table
        self.model.reset(rows)
        self.next_cursor = nxt
        self.more_button.setEnabled(nxt is not None)
        self.table.resizeColumnsToContents()
        self.status.setText(self._status_text())

    async def load_more(self) -> None:
        if self.next_cursor is None:
            return
        self.more_button.setEnabled(False)
        mine = self._generation
        rows, nxt = await asyncio.to_thread(self.client.board, self.selected_stores(),
                                            limit=PAGE, before=self.next_cursor)  # fmt: skip
        if mine != self._generation:
            return
        self.model.extend(rows)
        self.next_cursor = nxt
        self.more_button.setEnabled(nxt is not None)
        self.status.setText(self._status_text())

    def _status_text(self) -> str:
        n = len(self.stores) if not self.selected_stores() else 1
        return (
            tr("%1 家门店，已显示 %2 单（只读）")
            .replace("%1", str(n))
            .replace("%2", str(self.model.rowCount()))
        )

    def _store_changed(self) -> None:
        self._track(spawn(self.reload_board(), "总部看板筛选"))
        if self.reports is not None:
            self._track(spawn(self.reports.refresh(), "总部报表筛选"))

    def _track(self, task: asyncio.Task[Any]) -> None:
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    # ------------------------------------------------------------------ reports
    def _tab_changed(self) -> None:
        if self.tabs.currentWidget() is self.reports_page:
            self.ensure_reports()
            spawn(self.reports.refresh(), "总部报表")

    def ensure_reports(self) -> Any:
        if self.reports is None:
            from app.ui.reports import ReportsView  # QtCharts: only now

            self.reports = ReportsView(self._report_source, self.reports_page, today=self.today)
            self.reports_layout.addWidget(self.reports, 3)
            self.reports_layout.addWidget(QLabel(tr("门店 × 配送平台 × 营业日")))
            self.reports_layout.addWidget(self.cells_table, 2)
        return self.reports

    async def _report_source(self, date_from: dt.date, date_to: dt.date) -> Any:
        from app.hub.hq_client import summary_from

        doc = await asyncio.to_thread(self.client.reports, date_from, date_to,
                                      self.selected_stores())  # fmt: skip
        self._fill_cells(doc)
        return summary_from(doc["summary"])

    def _fill_cells(self, doc: dict[str, Any]) -> None:
        names = {s["id"]: s["name"] for s in self.stores}
        cells = sorted(doc["cells"], key=lambda c: (names.get(c["store_id"], ""), c["day"],
                                                    c["carrier"]))  # fmt: skip
        self.cells_table.setRowCount(len(cells))
        for row, c in enumerate(cells):
            values = (
                names.get(c["store_id"], c["store_id"]), c["day"],
                labels.carrier_label(c["carrier"]), str(c["orders"]),
                f"{c['cancel_rate']:.1%}", fmt_yuan(int(c["net_cost_fen"])),
                _minutes(c["accept_mean_min"]), _minutes(c["deliver_mean_min"]),
            )  # fmt: skip
            for col, v in enumerate(values):
                self.cells_table.setItem(row, col, QTableWidgetItem(v))

    # ------------------------------------------------------------------ export
    def open_export(self) -> HqExportDialog:
        dlg = HqExportDialog(self.client, self.stores, self, today=self.today)
        dlg.setModal(True)
        dlg.show()
        return dlg


def _minutes(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}"
