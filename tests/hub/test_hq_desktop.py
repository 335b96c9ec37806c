"""The head-office window end to end: a real hub on PostgreSQL with two stores synced,
the real ``HqClient`` (log in, read, export) driving ``HqWindow`` — both stores on the
board, the store filter, the reports, and an XLSX export of both stores."""

from __future__ import annotations

import asyncio
import datetime as dt

import openpyxl
import pytest

from app.hub.hq_client import HqClient
from app.hub.hq_repo import HqRepo
from app.ui.hq.window import HqExportDialog, HqLoginDialog, HqWindow
from tests.fakes.hub import InProcessHub
from tests.hub.test_hq import PASSWORD, _two_stores

pytestmark = [pytest.mark.integration, pytest.mark.gui, pytest.mark.asyncio]


async def test_hq_window_reads_two_stores_from_a_real_hub(hub_db_url, qtbot, tmp_path):
    async with InProcessHub(hub_db_url, {}) as hub:
        _a, b, _, _ = await _two_stores(hub)
        HqRepo(hub.engine).add_user("总部张经理", PASSWORD, hub.clock.now())
        login = HqLoginDialog(HqClient, hub.url)
        qtbot.addWidget(login)
        login.name_edit.setText("总部张经理")
        login.password_edit.setText(PASSWORD)
        assert await login.try_login()
        client = login.client
        try:
            win = HqWindow(client, today=dt.date(2026, 12, 2), auto_refresh=False)
            qtbot.addWidget(win)
            await win.refresh()
            assert win.status.text().startswith("2 家门店")
            names = {win.model.text(r, "store") for r in win.model.rows}
            assert names == {"人民路店", "南京西路店"} and win.model.rowCount() == 4
            win.store_combo.setCurrentIndex(win.store_combo.findData(b))
            await asyncio.gather(*win.pending)
            assert {r["store_id"] for r in win.model.rows} == {b}

            view = win.ensure_reports()
            view.date_from.setDate(view.date_from.date().addDays(-7))
            await view.refresh()
            assert view.summary.total.orders == 2  # 南京西路店: two orders in the range
            win.store_combo.setCurrentIndex(0)
            await asyncio.gather(*win.pending)
            assert view.summary.total.orders == 4 and win.cells_table.rowCount() == 5

            dlg = HqExportDialog(client, win.stores, win, today=dt.date(2026, 12, 2),
                                 folder=tmp_path)  # fmt: skip
            qtbot.addWidget(dlg)
            dlg.date_from.setDate(dlg.date_from.date().addDays(-7))
            result = await dlg.run_export()
            assert result.rows == 5
            ws = openpyxl.load_workbook(result.path, read_only=True).worksheets[0]
            stores = [r[1] for r in ws.iter_rows(min_row=2, values_only=True)]
            assert sorted(stores) == sorted(["人民路店"] * 3 + ["南京西路店"] * 2)
        finally:
            client.close()
