"""Reports view (QtCharts) and the export dialog, over a seeded temp database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from app.ui.export_dialog import ExportDialog
from app.ui.reports import METRICS, ReportsView
from tests.core.reconciliation.data import bulk_seed, make_db, seed_small
from tests.fakes.reports import StubService

PREVIEW = Path("/work/previews/reports.png")


@pytest.fixture
def reports(tmp_path):
    db = make_db(tmp_path)
    seed_small(db)
    return StubService(db).reports()


def categories(view):
    return list(view.chart().axes()[0].categories())


@pytest.mark.gui
@pytest.mark.asyncio
async def test_reports_view_charts_async_source(qtbot, reports):
    view = ReportsView(reports.summary, today=dt.date(2026, 11, 25), days=5)
    qtbot.addWidget(view)
    assert view.range() == (dt.date(2026, 11, 21), dt.date(2026, 11, 25))
    await view.refresh()
    assert categories(view.carrier_chart) == ["达达", "顺丰同城", "闪送"]
    assert categories(view.day_chart) == ["11-23", "11-24", "11-25"]
    (bs,) = view.carrier_chart.chart().series()[0].barSets()
    assert [bs.at(i) for i in range(3)] == [pytest.approx(37.5), 0.0, 3.0]  # yuan
    day_sets = view.day_chart.chart().series()[0].barSets()
    assert [s.label() for s in day_sets] == ["达达", "顺丰同城", "闪送"]
    assert "取消率 28.6%" in view.totals.text() and "转单 1" in view.totals.text()
    for i, m in enumerate(METRICS):
        view.metric_combo.setCurrentIndex(i)
        assert m.zh in view.carrier_chart.chart().title()
    view.metric_combo.setCurrentIndex(4)  # cancel rate: sf 1 of 2 attempts
    (bs,) = view.carrier_chart.chart().series()[0].barSets()
    assert bs.at(1) == pytest.approx(50.0)


@pytest.mark.gui
@pytest.mark.asyncio
async def test_reports_view_screenshot(qtbot, tmp_path):
    db = make_db(tmp_path)
    bulk_seed(db, 3000, days=7)
    reports = StubService(db).reports()
    view = ReportsView(reports.summary, today=dt.date(2026, 11, 7), days=7)
    qtbot.addWidget(view)
    view.resize(1280, 600)
    view.show()
    await view.refresh()
    PREVIEW.parent.mkdir(parents=True, exist_ok=True)
    assert view.grab().save(str(PREVIEW))
    assert PREVIEW.stat().st_size > 20_000


def test_reports_view_sync_source(qtbot, reports):
    import asyncio

    summary = asyncio.run(reports.summary("2026-11-01", "2026-11-30"))
    calls = []

    def source(a, b):
        calls.append((a, b))
        return summary

    view = ReportsView(source, today=dt.date(2026, 11, 30))
    qtbot.addWidget(view)
    asyncio.run(view.refresh())
    assert calls == [(dt.date(2026, 11, 24), dt.date(2026, 11, 30))]
    assert categories(view.carrier_chart) == ["达达", "顺丰同城", "闪送"]


@pytest.mark.gui
@pytest.mark.asyncio
async def test_export_dialog_runs_off_thread_with_progress(qtbot, reports, tmp_path):
    dlg = ExportDialog(reports.export, today=dt.date(2026, 11, 25), folder=tmp_path)
    qtbot.addWidget(dlg)
    assert dlg.date_from.date().day() == 1
    dlg.carrier_list.item(0).setCheckState(dlg.carrier_list.item(0).checkState().Unchecked)
    assert "dada" not in dlg.carriers()
    res = await dlg.run_export()
    assert res.rows == 3 and res.path.exists()  # sf x2 + shansong
    assert dlg.progress.value() == 100 and "已导出 3 行" in dlg.status.text()
    ws = openpyxl.load_workbook(res.path)["配送记录"]
    assert ws.max_row == 4
    entry = reports.db.audit_entries()[0]
    assert entry["action"] == "report_exported"
    assert dlg.carrier_list.count() >= 6  # every carrier the app knows, in the registry's order
    assert entry["detail"]["carriers"] == dlg.carriers()
    assert entry["detail"]["carriers"][:5] == ["shansong", "sf", "meituan", "fengniao", "uupt"]
    assert "dada" not in entry["detail"]["carriers"]
    dlg.format_combo.setCurrentIndex(1)
    assert dlg.path_edit.text().endswith(".csv")


@pytest.mark.gui
@pytest.mark.asyncio
async def test_export_dialog_cancel(qtbot, reports, tmp_path):
    async def export(*a, **kw):
        dlg.cancel()  # the manager presses cancel while it runs
        return await reports.export(*a, **kw)

    dlg = ExportDialog(export, today=dt.date(2026, 11, 25), folder=tmp_path)
    qtbot.addWidget(dlg)
    assert await dlg.run_export() is None
    assert dlg.status.text().startswith("已取消")
    assert not Path(dlg.path_edit.text()).exists()
    assert dlg.export_button.isEnabled() and not dlg.cancel_button.isEnabled()
    assert reports.db.audit_entries()[0]["action"] == "report_export_cancelled"
