"""The fast export path against a plain reference: every cell of the three sheets on a
few thousand generated attempts equals what a straightforward, non-streaming computation
from the same records gives (domain net cost, masking, local time, per-group lists)."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterable
from typing import Any

import openpyxl
import pytest

from app.core.clock import local
from app.core.domain import DeliveryAttempt, DeliveryStatus
from app.core.privacy import mask_phone, mask_phones_in
from app.core.reconciliation import export as ex
from app.core.reconciliation.summary import MATCH_LABELS, net_cost_fen, record_net_cost
from app.core.storage.recon_repo import AttemptRecord, iter_attempts
from tests.core.reconciliation.data import bulk_seed, make_db, seed_small
from tests.fakes.reports import StubService

D0, D1 = dt.date(2026, 11, 1), dt.date(2026, 11, 30)


def ref_row(r: AttemptRecord, store: str) -> list[Any]:
    """One Attempts row the slow, obvious way (money in fen, local naive times)."""
    net = DeliveryAttempt(r.order_id, r.attempt_no, r.carrier, r.idempotency_key,
                          status=DeliveryStatus(r.status), quoted_fee_fen=r.quoted_fee_fen,
                          actual_fee_fen=r.actual_fee_fen, tip_fen=r.tip_fen,
                          insurance_fee_fen=r.insurance_fee_fen,
                          cancel_fee_fen=r.cancel_fee_fen,
                          refund_fen=r.refund_fen).net_cost_fen  # fmt: skip
    fee = r.order_delivery_fee_fen if r.is_last else 0
    bill = r.bill_amount_fen
    match = "unbilled" if bill is None else "matched" if bill == net else "variance"
    when = [None if d is None else local(d).replace(tzinfo=None)
            for d in (r.created_at, r.dispatched_at, r.accepted_at, r.picked_up_at,
                      r.finished_at)]  # fmt: skip
    return [
        dt.date.fromisoformat(r.business_date), store, r.pos_order_id, r.channel,
        {"pos": "POS", "meituan": "美团外卖", "eleme": "饿了么"}[r.order_source],
        r.pos_order_id.split(":", 1)[1] if r.order_source != "pos" else "", r.attempt_no, ex.carrier_label(r.carrier), r.carrier_order_id, r.idempotency_key,
        ex.STATUS_ZH.get(r.status, r.status),
        ex.CANCELLED_BY_ZH.get(r.cancelled_by, r.cancelled_by) if r.cancelled_by else "",
        mask_phones_in(r.cancel_reason), mask_phone(r.customer_phone),
        mask_phone(r.rider_phone), *when, r.distance_m, r.quoted_fee_fen, r.actual_fee_fen,
        r.tip_fen, r.insurance_fee_fen, r.cancel_fee_fen, r.refund_fen, net, fee, fee - net,
        bill, None if bill is None else bill - net, MATCH_LABELS[match][0],
    ]  # fmt: skip


def _minutes(secs: list[int]) -> tuple[float | None, float | None]:
    """Mean and nearest-rank p90 (0.1-minute buckets) from the full list."""
    if not secs:
        return None, None
    buckets = sorted(round(s / 6) for s in secs)
    return sum(secs) / len(secs) / 60.0, buckets[math.ceil(0.9 * len(secs)) - 1] * 6 / 60.0


def ref_summary(key: str, rs: list[AttemptRecord]) -> list[Any]:
    accept, deliver = [], []
    for r in rs:
        start = r.dispatched_at or r.created_at
        if start and r.accepted_at and r.accepted_at >= start:
            accept.append(round((r.accepted_at - start).total_seconds()))
        if r.status == "delivered" and start and r.finished_at and r.finished_at >= start:
            deliver.append(round((r.finished_at - start).total_seconds()))
    attempts = len(rs)
    cancels = sum(r.status in ("cancelled", "returned") for r in rs)
    return [
        key, len({r.order_id for r in rs}), attempts,
        sum(r.status == "delivered" for r in rs), cancels,
        cancels / attempts if attempts else 0.0, sum(r.cancel_fee_fen for r in rs),
        sum(r.tip_fen for r in rs), sum(net_cost_fen(r) for r in rs),
        *_minutes(accept), *_minutes(deliver),
        sum(not r.is_last for r in rs),
    ]  # fmt: skip


def groups(rs: list[AttemptRecord], key: str) -> list[tuple[str, list[AttemptRecord]]]:
    out: dict[str, list[AttemptRecord]] = {}
    for r in rs:
        out.setdefault(getattr(r, key), []).append(r)
    return sorted(out.items())


def as_cells(cols: Iterable[ex.Col], values: list[Any]) -> list[Any]:
    """Reference values as openpyxl reads them back (yuan, datetimes, no empty text;
    XlsxWriter stores numbers with 16 significant digits)."""
    out: list[Any] = []
    for c, v in zip(cols, values, strict=True):
        if v is None or v == "":
            out.append(None)
        elif c.kind == "money":
            out.append(v / 100)
        elif c.kind == "date":
            out.append(dt.datetime.combine(v, dt.time()))
        elif isinstance(v, float):
            out.append(float(f"{v:.16G}"))
        else:
            out.append(v)
    return out


@pytest.mark.asyncio
async def test_fast_export_equals_reference_cell_by_cell(tmp_path):
    db = make_db(tmp_path)
    bulk_seed(db, 3000, days=12, seed=11)  # explicit order ids from 1: seeded first
    seed_small(db)  # failover, cancels, a phone inside free text, a late-night order
    reports = StubService(db).reports()
    path = tmp_path / "same.xlsx"
    res = await reports.export(path, date_from=D0, date_to=D1)
    recs = list(iter_attempts(db.engine, D0.isoformat(), D1.isoformat()))
    assert res.rows == len(recs) == 3007
    store = reports.store_name()
    wb = openpyxl.load_workbook(path, read_only=True)
    got = [list(r) for r in wb["配送记录"].iter_rows(min_row=2, values_only=True)]
    assert got == [as_cells(ex.ATTEMPT_COLS, ref_row(r, store)) for r in recs]
    total = ref_summary("合计", recs)
    cars = [ref_summary(ex.carrier_label(k), v) for k, v in groups(recs, "carrier")]
    days = [ref_summary(k, v) for k, v in groups(recs, "business_date")]
    for sheet, want in (("平台汇总", [*cars, total]), ("每日汇总", [*days, total])):
        rows = [list(r) for r in wb[sheet].iter_rows(min_row=2, values_only=True)]
        assert rows == [as_cells(ex.SUMMARY_COLS, v) for v in want], sheet


def test_record_net_cost_is_the_domain_rule():
    rnd = random.Random(3)

    def record(status: DeliveryStatus) -> AttemptRecord:
        return AttemptRecord(1, 1, "2026-11-01", "P", "pos", "", 500, 1, 1, "dada", "", "k",
                             status.value, None, "", "", "", None, None, None, None, None,
                             None, rnd.randrange(2000), rnd.choice((None, rnd.randrange(2000))),
                             rnd.randrange(300), rnd.randrange(200), rnd.randrange(300),
                             rnd.randrange(100), None)  # fmt: skip

    db_like = [record(st) for st in DeliveryStatus for _ in range(50)]
    assert [record_net_cost(r) for r in db_like] == [net_cost_fen(r) for r in db_like]
