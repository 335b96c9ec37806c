"""Bill statements: mappings, CSV/XLSX reading, import end to end, disputes, audit."""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app.core.carriers.registry import CARRIER_IDS
from app.core.money import yuan_str
from app.core.reconciliation.bills import (
    DEFAULT_MAPPINGS,
    BillFormatError,
    BillMapping,
    parse_amount,
    read_bill,
)
from app.core.storage import tables as t
from tests.core.reconciliation.data import CARRIERS, make_db, seed_small
from tests.fakes.reports import StubService


@pytest.fixture
def reports(tmp_path):
    db = make_db(tmp_path)
    seed_small(db)
    return StubService(db).reports()


def write_csv(path, rows, encoding="utf-8-sig"):
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_every_carrier_has_a_default_mapping():
    assert set(DEFAULT_MAPPINGS) == set(CARRIER_IDS) >= set(CARRIERS)
    assert DEFAULT_MAPPINGS["dada"].carrier_order_id == "运单号"
    assert DEFAULT_MAPPINGS["dada"].origin_id.startswith("订单号")
    assert DEFAULT_MAPPINGS["dada"].amount.startswith("金额(元)")


@given(st.integers(-(10**9), 10**9))
def test_amount_round_trip_yuan_and_fen(fen):
    assert parse_amount(yuan_str(fen), "yuan") == fen
    assert parse_amount(str(fen), "fen") == fen


def test_amount_forms():
    assert parse_amount("¥1,234.50", "yuan") == 123450
    assert parse_amount(8.5, "yuan") == 850
    assert parse_amount("12.345", "yuan") == 1235  # half-up
    with pytest.raises(ValueError):
        parse_amount("12.5", "fen")


def test_csv_gbk_with_title_and_totals(tmp_path):
    path = write_csv(tmp_path / "b.csv", [
        ["达达账单 2026年11月"], ["运单号", "订单号", "金额（元）", "日期"],
        ["D1", "JP1-1", "¥8.50", "2026/11/23 12:00"], ["", "", "8.50", ""], ["合计", "", "8.50"],
    ], encoding="gb18030")  # fmt: skip
    m = BillMapping.from_dict(DEFAULT_MAPPINGS["dada"].to_dict() | {"header_row": 2})
    rows = read_bill(path, m)
    assert [(r.carrier_order_id, r.origin_id, r.amount_fen, r.bill_date) for r in rows] == [
        ("D1", "JP1-1", 850, "2026-11-23")
    ]


def test_xlsx_in_fen_with_numeric_ids(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["订单编号", "商家订单号", "金额(分)", "下单时间"])
    ws.append([123456789, "JP9-1", 1250, dt.datetime(2026, 11, 24, 9, 0)])
    wb.save(tmp_path / "u.xlsx")
    m = BillMapping("订单编号", "商家订单号", "金额(分)", "fen", "下单时间")
    (row,) = read_bill(tmp_path / "u.xlsx", m)
    assert row.carrier_order_id == "123456789" and row.amount_fen == 1250
    assert row.bill_date == "2026-11-24"


def test_missing_columns_are_reported(tmp_path):
    path = write_csv(tmp_path / "b.csv", [["a", "b"], ["1", "2"]])
    with pytest.raises(BillFormatError, match="neither id column"):
        read_bill(path, DEFAULT_MAPPINGS["dada"])


def dada_bill(tmp_path):
    # P1: 8.50 + 2.00 tip = 10.50 exact; P2 attempt 2: we say 9.50, bill 9.80;
    # a line we never sent; a duplicate of P1; found by origin id only (P4 = 7.50)
    return write_csv(tmp_path / "dada.csv", [
        ["运单号", "订单号", "金额(元)", "日期"],
        ["DADA000011", "JP1-1", "10.50", "2026-11-23"],
        ["DADA000022", "JP2-2", "9.80", "2026-11-23"],
        ["DADA999999", "JP999-1", "3.00", "2026-11-24"],
        ["DADA000011", "JP1-1", "10.50", "2026-11-23"],
        ["", "JP4-1", "7.50", "2026-11-24"],
    ])  # fmt: skip


@pytest.mark.asyncio
async def test_import_match_store_dispute_and_export(reports, tmp_path):
    rep = await reports.import_bill("dada", dada_bill(tmp_path), actor="boss")
    assert (rep.date_from, rep.date_to) == ("2026-11-23", "2026-11-24")
    assert [m.row.line_no for m in rep.matches] == [1, 2, 5]
    assert [m.variance_fen for m in rep.matches] == [0, 30, 0]
    assert [(u.row.line_no, u.reason) for u in rep.unmatched_rows] == [
        (3, "not_found"), (4, "duplicate")]  # fmt: skip
    assert rep.unmatched_attempts == ()  # P6 (25th) is outside the bill's dates
    with reports.db.engine.connect() as c:
        stored = c.execute(select(t.bill_lines).order_by(t.bill_lines.c.line_no)).all()
    assert [r.matched_attempt_id is not None for r in stored] == [True, True, False, False, True]
    assert all(r.import_id == rep.import_id and r.carrier == "dada" for r in stored)
    n = await reports.dispute_csv(rep, tmp_path / "disp.csv")
    lines = list(csv.reader((tmp_path / "disp.csv").read_text("utf-8-sig").splitlines()))
    assert n == 3 and [r[0] for r in lines[1:]] == ["金额差异", "仅账单有", "仅账单有"]
    assert lines[1][8:10] == ["0.30", "30"]
    actions = [(e["action"], e["actor"]) for e in reports.db.audit_entries()]
    assert actions[:2] == [("dispute_exported", "manager"), ("bill_imported", "boss")]
    out = tmp_path / "after.xlsx"
    await reports.export(out, date_from="2026-11-23", date_to="2026-11-23")
    ws = openpyxl.load_workbook(out)["配送记录"]
    tail = [r[-3:] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert tail == [(10.5, 0, "一致"), (None, None, "未对账"), (9.8, 0.3, "有差异")]


@pytest.mark.asyncio
async def test_unbilled_attempts_and_window(reports, tmp_path):
    path = write_csv(tmp_path / "s.csv", [["闪送订单号", "商家订单号", "实付金额(元)"]])
    rep = await reports.import_bill("shansong", path, date_from="2026-11-24",
                                    date_to="2026-11-24")  # fmt: skip
    assert [c.origin_id for c in rep.unmatched_attempts] == ["JP3-1"]  # 3.00 cancel fee
    assert rep.unmatched_attempts[0].cost_fen == 300


@pytest.mark.asyncio
async def test_mapping_round_trip(reports):
    assert await reports.get_mapping("sf") == DEFAULT_MAPPINGS["sf"]
    m = BillMapping("单号", "外部单号", "费用", "fen", "", header_row=3)
    await reports.set_mapping("sf", m, actor="boss")
    assert await reports.get_mapping("sf") == m
    assert reports.db.kv_get("bill_mapping.sf")["unit"] == "fen"
    assert reports.db.audit_entries()[0]["action"] == "bill_mapping_set"
    with pytest.raises(ValueError):
        BillMapping.from_dict(m.to_dict() | {"unit": "jiao"})


@pytest.mark.asyncio
async def test_dispute_csv_neutralises_formulas(reports, tmp_path):
    path = write_csv(tmp_path / "u.csv", [
        ["订单编号", "商家订单号", "实付金额(元)"], ["=HYPERLINK(1)", "", "-1.00"]])  # fmt: skip
    rep = await reports.import_bill("uupt", path)
    await reports.dispute_csv(rep, tmp_path / "d.csv")
    row = list(csv.reader((tmp_path / "d.csv").read_text("utf-8-sig").splitlines()))[1]
    assert row[2] == "'=HYPERLINK(1)" and row[6] == "-1.00" and row[9] == "-100"
