"""The head-office window (``python -m app --hq``) over a fake HQ client: login, the
read-only board of every store with a store filter and paging, the reports tab (charts
+ store × carrier × day table), the export of chosen stores with progress; and an
offscreen screenshot of the board (``/tmp/shots/hq_board.png``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView

from app.ui.hq.window import COLUMNS, HqExportDialog, HqLoginDialog, HqWindow

SHOT = Path("/tmp/shots/hq_board.png")
T0 = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
STORES = [
    {"id": "s1", "name": "人民路店", "group": "上海", "devices": 1, "orders": 6,
     "last_sync_at": T0.isoformat()},
    {"id": "s2", "name": "南京西路店", "group": "上海", "devices": 2, "orders": 5,
     "last_sync_at": T0.isoformat()},
    {"id": "s3", "name": "解放碑店", "group": "重庆", "devices": 1, "orders": 4,
     "last_sync_at": T0.isoformat()},
]  # fmt: skip
NAMES = {s["id"]: s["name"] for s in STORES}
CARRIERS = ["dada", "sf", "shansong", "meituan", "fengniao"]
STATUSES = ["delivered", "accepted", "picked_up", "pending_accept", "cancelled", "delivered"]


def _row(i: int, store: str) -> dict:
    return {
        "store_id": store, "store_name": NAMES[store], "id": i,
        "received_at": (T0 - timedelta(minutes=7 * i)).isoformat(),
        "pickup_no": f"A{100 + i}", "pos_order_id": f"P{i:04d}",
        "channel": ["pos", "meituan", "eleme"][i % 3], "source": "pos", "state": "dispatched",
        "customer": "王**", "customer_phone": "138****5678",
        "address": f"人民路{i}号{i % 4 + 1}单元", "distance_m": 1500, "total_fen": 4200,
        "carrier": CARRIERS[i % len(CARRIERS)], "status": STATUSES[i % len(STATUSES)],
        "fee_fen": 800 + 50 * i, "tip_fen": 0, "rider": "李师傅" if i % 4 else "",
    }  # fmt: skip


ROWS = [_row(i, ["s1", "s2", "s3"][i % 3]) for i in range(15)]


def _cell(store: str, day: str, carrier: str, orders: int) -> dict:
    return {"store_id": store, "day": day, "carrier": carrier, "key": f"{day} {carrier}",
            "orders": orders, "attempts": orders + 1, "delivered": orders, "cancels": 1,
            "cancel_rate": 1 / (orders + 1), "cancel_fee_fen": 200, "tip_fen": 100,
            "net_cost_fen": 900 * orders, "accept_mean_min": 2.5, "accept_p90_min": 4.0,
            "deliver_mean_min": 31.0, "deliver_p90_min": 40.0, "failovers": 1}  # fmt: skip


@dataclass
class Exported:
    rows: int
    path: Path
    seconds: float


class FakeHqClient:
    """The ``HqClient`` surface, answering from memory; records what was asked."""

    url = "https://hub.example.com"

    def __init__(self) -> None:
        self.user = ""
        self.asked: list[tuple] = []
        self.threads: set[str] = set()

    def close(self) -> None:
        self._seen("close")

    def _seen(self, *call) -> None:
        self.asked.append(call)
        self.threads.add(threading.current_thread().name)

    def login(self, name: str, password: str) -> str:
        self._seen("login", name)
        if password != "right password":
            raise RuntimeError("HTTP 401: name or password wrong")
        self.user = name
        return name

    def stores(self):
        self._seen("stores")
        return STORES

    def board(self, store_ids=(), *, limit=100, before=None):
        self._seen("board", tuple(store_ids), limit, before)
        rows = [r for r in ROWS if not store_ids or r["store_id"] in store_ids]
        start = int(before) if before else 0
        page = rows[start : start + limit]
        nxt = str(start + limit) if start + limit < len(rows) else None
        return page, nxt

    def reports(self, date_from, date_to, store_ids=()):
        self._seen("reports", date_from, date_to, tuple(store_ids))
        cells = [_cell(s, "2026-12-01", c, 3) for s in ("s1", "s2") for c in ("dada", "sf")]
        cells = [c for c in cells if not store_ids or c["store_id"] in store_ids]
        row = {k: v for k, v in _cell("", "", "", 12).items() if k not in ("store_id", "day", "carrier")}  # fmt: skip
        summary = {
            "carriers": [{**row, "key": "dada"}, {**row, "key": "sf", "net_cost_fen": 500}],
            "days": [{**row, "key": "2026-12-01"}],
            "day_carrier": [
                {**row, "day": "2026-12-01", "carrier": "dada"},
                {**row, "day": "2026-12-01", "carrier": "sf"},
            ],
            "total": {**row, "key": "total"},
        }
        return {"cells": cells, "stores": [], "summary": summary}

    def export(self, path, *, date_from, date_to, store_ids=(), fmt="xlsx", progress=None,
               cancel=None, lang="zh"):  # fmt: skip
        self._seen("export", date_from, date_to, tuple(store_ids), fmt)
        for done in (1000, 2000):
            progress(done, 2000)
        Path(path).write_text("ok", encoding="utf-8")
        return Exported(2000, Path(path), 0.5)


@pytest.fixture
def client():
    c = FakeHqClient()
    c.user = "总部张经理"
    return c


@pytest.mark.gui
@pytest.mark.asyncio
async def test_login_dialog_stays_open_on_a_wrong_password(qtbot):
    made: list[FakeHqClient] = []

    def make(url):
        made.append(FakeHqClient())
        return made[-1]

    dlg = HqLoginDialog(make, "https://hub.example.com")
    qtbot.addWidget(dlg)
    assert not await dlg.try_login()  # nothing typed
    dlg.name_edit.setText("总部张经理")
    dlg.password_edit.setText("wrong")
    assert not await dlg.try_login()
    assert "登录失败" in dlg.status.text() and dlg.client is None
    assert dlg.password_edit.text() == ""  # never kept in the widget
    dlg.password_edit.setText("right password")
    assert await dlg.try_login()
    assert dlg.client is made[-1] and dlg.client.user == "总部张经理"
    assert "MainThread" not in made[-1].threads  # the login ran off the GUI thread


@pytest.mark.gui
@pytest.mark.asyncio
async def test_board_is_read_only_filters_by_store_and_pages(qtbot, client):
    win = HqWindow(client, today=dt.date(2026, 12, 2), auto_refresh=False)
    qtbot.addWidget(win)
    win.resize(1280, 720)
    win.show()
    await win.refresh()
    assert win.store_combo.count() == 4  # 全部门店 + three stores
    assert win.model.rowCount() == 15
    assert {win.model.text(r, "store") for r in win.model.rows} == set(NAMES.values())
    header = [win.model.headerData(i, Qt.Orientation.Horizontal)
              for i in range(len(COLUMNS))]  # fmt: skip
    assert header[:3] == ["门店", "取餐号", "下单时间"]
    first = win.model.rows[0]
    assert win.model.text(first, "status") == "已送达" and win.model.text(first, "fee") == "¥8.00"
    assert win.table.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    assert win.store_table.rowCount() == 3
    assert "MainThread" not in client.threads  # every hub call ran in a worker thread

    # the store filter: only 南京西路店's orders
    win.store_combo.setCurrentIndex(win.store_combo.findData("s2"))
    await asyncio.gather(*win.pending)  # the filter reloads by itself
    assert {r["store_id"] for r in win.model.rows} == {"s2"}
    assert client.asked[-1][:2] == ("board", ("s2",))

    # paging: a small page, then the older ones below, nothing twice
    win.store_combo.setCurrentIndex(0)
    await asyncio.gather(*win.pending)
    import app.ui.hq.window as w

    old = w.PAGE
    w.PAGE = 6
    try:
        await win.reload_board()
        assert win.model.rowCount() == 6 and win.more_button.isEnabled()
        await win.load_more()
        await win.load_more()
    finally:
        w.PAGE = old
    assert win.model.rowCount() == 15 and not win.more_button.isEnabled()
    assert len({(r["store_id"], r["id"]) for r in win.model.rows}) == 15


@pytest.mark.gui
@pytest.mark.asyncio
async def test_reports_tab_charts_and_store_carrier_day_table(qtbot, client):
    win = HqWindow(client, today=dt.date(2026, 12, 2), auto_refresh=False)
    qtbot.addWidget(win)
    await win.refresh()
    assert win.reports is None  # QtCharts not loaded until the tab is opened
    view = win.ensure_reports()
    await view.refresh()
    assert list(view.carrier_chart.chart().axes()[0].categories()) == ["达达", "顺丰同城"]
    assert "订单 12" in view.totals.text()
    assert win.cells_table.rowCount() == 4
    assert win.cells_table.item(0, 0).text() == "人民路店"
    assert win.cells_table.item(0, 5).text() == "¥27.00"
    win.store_combo.setCurrentIndex(win.store_combo.findData("s1"))
    await asyncio.gather(*win.pending)  # board and reports follow the filter
    assert [c for c in client.asked if c[0] == "reports"][-1][3] == ("s1",)
    assert [c for c in client.asked if c[0] == "board"][-1][1] == ("s1",)
    assert win.cells_table.rowCount() == 2


@pytest.mark.gui
@pytest.mark.asyncio
async def test_export_chosen_stores_with_progress(qtbot, client, tmp_path):
    win = HqWindow(client, today=dt.date(2026, 12, 2), auto_refresh=False)
    qtbot.addWidget(win)
    await win.refresh()
    dlg = HqExportDialog(client, STORES, win, today=dt.date(2026, 12, 2), folder=tmp_path)
    qtbot.addWidget(dlg)
    assert dlg.carrier_list.count() == 3
    dlg.carrier_list.item(2).setCheckState(Qt.CheckState.Unchecked)
    result = await dlg.run_export()
    assert result.rows == 2000 and result.path.exists()
    call = [c for c in client.asked if c[0] == "export"][-1]
    assert call[3] == ("s1", "s2") and call[4] == "xlsx"
    assert dlg.progress.value() == 100 and "2,000" in dlg.status.text()


@pytest.mark.gui
@pytest.mark.asyncio
async def test_hq_board_screenshot(qtbot, client):
    win = HqWindow(client, today=dt.date(2026, 12, 2), auto_refresh=False)
    qtbot.addWidget(win)
    win.resize(1280, 640)
    win.show()
    await win.refresh()
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    assert win.grab().save(str(SHOT))
    assert SHOT.stat().st_size > 20_000


@pytest.mark.gui
def test_hq_window_in_english(qtbot, qapp, client):
    from app.ui.i18n import install_translators, remove_translators

    ts = install_translators(qapp, "en")
    try:
        win = HqWindow(client, auto_refresh=False)
        qtbot.addWidget(win)
        tabs = [win.tabs.tabText(i) for i in range(win.tabs.count())]
        assert tabs == ["Store boards (read-only)", "Cross-store reports", "Store"]
        assert win.store_combo.itemText(0) == "All stores"
        assert win.model.headerData(0, Qt.Orientation.Horizontal) == "Store"
    finally:
        remove_translators(qapp, ts)
        install_translators(qapp, "zh_CN")
