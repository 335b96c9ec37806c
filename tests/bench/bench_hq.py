"""Head-office reads benchmark (run on demand: ``pytest tests/bench/bench_hq.py -m bench -s``).
Prints, against a throw-away PostgreSQL and ONE ``python -m app hub`` process: the time
for the cross-store report and for the streamed reconciliation export (NDJSON → the
counter's XLSX writer, and CSV) of ``BENCH_HQ_STORES`` stores (default 10) ×
``BENCH_HQ_ORDERS`` orders each (default 2,000; one attempt per order, every fifth
order a second one), and a board page. Rows are written straight into the hub's sync
tables (``SyncStore.apply``, the same code ``POST /hub/v1/sync`` runs).
Figures, not asserts: the client, the hub and PostgreSQL share the machine."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from app.hub.db import make_engine
from app.hub.hq_client import HqClient
from app.hub.hq_repo import HqRepo
from app.hub.repo import HubRepo
from app.hub.sync import SyncStore
from tests.fakes.hub_pg import hub_db_url, hub_process, hub_template, pg_admin_url

__all__ = ["hub_db_url", "hub_process", "hub_template", "pg_admin_url"]

STORES = int(os.environ.get("BENCH_HQ_STORES", "10"))
ORDERS = int(os.environ.get("BENCH_HQ_ORDERS", "2000"))
T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def _rows(n: int) -> list[tuple[str, int, int, dict]]:
    rows, aid = [], 0
    for i in range(1, n + 1):
        at = T0 + timedelta(minutes=10 * i)
        day = (at + timedelta(hours=8)).date().isoformat()
        rows.append(("orders", i, i, {
            "id": i, "pos_order_id": f"P{i}", "channel": "pos", "source": "pos",
            "state": "delivered", "business_date": day, "received_at": at.isoformat(),
            "customer_name": "王小明", "customer_phone": "138****5678", "address": "人民路1号",
            "total_fen": 4200, "delivery_fee_fen": 600}))  # fmt: skip
        for no in (1, 2) if i % 5 == 0 else (1,):
            aid += 1
            status = "cancelled" if no == 1 and i % 5 == 0 else "delivered"
            rows.append(("attempts", aid, aid, {
                "id": aid, "order_id": i, "attempt_no": no, "carrier": ["dada", "sf", "shansong"][aid % 3],
                "idempotency_key": f"k{aid}", "status": status, "quoted_fee_fen": 900,
                "actual_fee_fen": 900, "tip_fen": 0, "cancel_fee_fen": 200 if status == "cancelled" else 0,
                "rider_phone": "139****0000", "created_at": at.isoformat(),
                "dispatched_at": at.isoformat(), "accepted_at": (at + timedelta(minutes=2)).isoformat(),
                "finished_at": (at + timedelta(minutes=30)).isoformat()}))  # fmt: skip
    return rows


@pytest.mark.bench
def test_bench_hq_reads(hub_process, hub_db_url, tmp_path):
    engine = make_engine(hub_db_url, pool_size=2)
    repo, sync = HubRepo(engine), SyncStore(engine)
    now = datetime.now(UTC)
    rows = _rows(ORDERS)
    for i in range(STORES):
        store_id, _ = repo.add_store(f"店{i}", "", now, timedelta(hours=1))
        for k in range(0, len(rows), 1000):
            sync.apply(store_id, rows[k : k + 1000], now)
    HqRepo(engine).add_user("bench", "bench password", now)
    engine.dispose()
    attempts = STORES * sum(1 for r in rows if r[0] == "attempts")
    hub = hub_process()
    client = HqClient(hub.url, timeout=300)
    client.login("bench", "bench password")
    a, b = T0.date(), (T0 + timedelta(minutes=10 * ORDERS + 600)).date()
    t = time.perf_counter()
    rep = client.reports(a, b)
    t_rep = time.perf_counter() - t
    t = time.perf_counter()
    client.board(limit=100)
    t_board = time.perf_counter() - t
    out = {}
    for fmt in ("xlsx", "csv"):
        res = client.export(tmp_path / f"hq.{fmt}", date_from=a, date_to=b, fmt=fmt)
        assert res.rows == attempts
        out[fmt] = res.seconds
    client.close()
    print(f"\nhead office: {STORES} stores x {ORDERS} orders = {attempts:,} attempts "
          f"({rep['summary']['total']['orders']:,} orders)")  # fmt: skip
    print(f"  report (store x carrier x day): {t_rep:.2f} s ({len(rep['cells'])} cells)")
    print(f"  board page (100 rows, all stores): {t_board * 1000:.0f} ms")
    for fmt, s in out.items():
        print(f"  export {fmt}: {s:.2f} s = {attempts / s:,.0f} rows/s (streamed from the hub)")
