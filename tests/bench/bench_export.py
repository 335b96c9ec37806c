"""Benchmark: the reconciliation export of 100,000 attempt rows against the raw
XlsxWriter ``constant_memory`` writer on the same rows (and pandas ``to_excel`` when
pandas happens to be installed; it is not a dependency). Run on demand:

    python -m pytest tests/bench/bench_export.py -m bench -s
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import time

import pytest
import xlsxwriter

from app.core.reconciliation.export import ATTEMPT_COLS, attempt_values
from app.core.reconciliation.summary import Aggregator
from app.core.storage.recon_repo import iter_attempts
from tests.core.reconciliation.data import bulk_seed, make_db
from tests.fakes.reports import StubService

N = 100_000


def raw_xlsxwriter(path, rows) -> float:
    t0 = time.perf_counter()
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, [c.zh for c in ATTEMPT_COLS])
    for i, r in enumerate(rows, start=1):
        ws.write_row(i, 0, r)
    wb.close()
    return time.perf_counter() - t0


@pytest.mark.bench
def test_bench_export_100k(tmp_path):
    db = make_db(tmp_path)
    t0 = time.perf_counter()
    bulk_seed(db, N)
    seed_s = time.perf_counter() - t0
    reports = StubService(db).reports()
    res = asyncio.run(
        reports.export(
            tmp_path / "jupei.xlsx", date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 30)
        )
    )
    assert res.rows == N
    agg = Aggregator()
    rows = [  # the same cell values, materialised up front (not timed)
        [v / 100 if c.kind == "money" and v is not None else v
         for c, v in zip(ATTEMPT_COLS, attempt_values(r, "store", "zh", agg), strict=True)]
        for r in iter_attempts(db.engine, "2026-11-01", "2026-11-30")
    ]  # fmt: skip
    raw_s = raw_xlsxwriter(tmp_path / "raw.xlsx", rows)
    lines = [
        f"seed {N:,} attempts: {seed_s:.1f} s",
        f"JuPei export (DB stream + 3 sheets, formats): {res.seconds:.1f} s, "
        f"{(tmp_path / 'jupei.xlsx').stat().st_size / 2**20:.1f} MiB",
        f"raw XlsxWriter constant_memory, same rows:     {raw_s:.1f} s",
    ]
    if importlib.util.find_spec("pandas") is not None:
        import pandas as pd

        t0 = time.perf_counter()
        pd.DataFrame(rows).to_excel(tmp_path / "pd.xlsx", engine="xlsxwriter", index=False)
        lines.append(
            f"pandas to_excel(xlsxwriter):                  {time.perf_counter() - t0:.1f} s"
        )
    else:
        lines.append("pandas: not installed, skipped")
    print("\n" + "\n".join(lines))
