"""The benchmark suite P1-P7. Each figure runs in a fresh child process
(``python -m tests.bench.run P<n>`` prints one JSON line) so RSS, imports and Qt state do
not leak between them; ``python -m tests.bench`` runs them all and prints the table.

Every figure is a ratio against a baseline measured in the same run (the machine is
shared and noisy), except P3/P4 whose targets are absolute (ms, MB): there the baseline
column shows the same measurement for a bare equivalent, for context."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
for _k in [k for k in os.environ if k.startswith("JUPEI_")]:
    del os.environ[_k]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(p / 100 * len(xs))) - 1))] if xs else 0.0


# --------------------------------------------------------------------------- P1
async def p1(tmp: Path) -> dict:
    from app.core.sandbox.engine import Faults
    from tests.bench.bench_fanout import CARRIERS
    from tests.core.dispatch.support import add_order, eng, sandbox
    from tests.helpers import started_core

    lat = {cid: 100 * i for i, cid in enumerate(CARRIERS, start=1)}
    async with started_core(tmp) as core:
        e, sb = eng(core), sandbox(core)
        for cid, ms in lat.items():
            sb.set_faults(cid, Faults(latency_ms=ms))
        order = await core.service.db.run(core.service.db.get_order, await add_order(core))
        seq = []
        fans = []
        for _ in range(3):
            t0 = time.perf_counter()
            for cid in CARRIERS:  # sequential baseline: one carrier after the other
                await core.service.gateway.get(cid).adapter.quote(order)
            seq.append(time.perf_counter() - t0)
            oid = await add_order(core)
            t0 = time.perf_counter()
            qs = await e.collect_quotes(oid)
            fans.append(time.perf_counter() - t0)
            assert len(qs) == 6
    mx = max(lat.values()) / 1000
    fan = statistics.median(fans)
    return {
        "measured": fan / mx,
        "detail": f"fan-out {fan * 1000:.0f} ms / max(L_i) {mx * 1000:.0f} ms; sequential "
        f"{statistics.median(seq) * 1000:.0f} ms = {statistics.median(seq) / mx:.2f}x",
    }


# --------------------------------------------------------------------------- P2
def p2(tmp: Path) -> dict:
    from tests.bench.bench_intake import figures, run_clients, sqlite_commits_per_s
    from tests.fakes.pos import free_port, start_serve, wait_healthy

    commits = sqlite_commits_per_s(tmp / "commit_bench.db")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_serve(tmp, port)
    try:
        wait_healthy(url, proc)
        run_clients(url, 1, "--rate", "0", "--count", "200")  # warm up
        _, (one,) = run_clients(url, 1, "--rate", "0", "--count", "2000", "--concurrency", "64")
        _, (paced,) = run_clients(url, 1, "--rate", "100", "--count", "1000", "--concurrency", "32")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    f1, f100 = figures(one), figures(paced)
    return {
        "measured": f1["rate"] / commits,
        "p50_ms": f100["p50"],
        "p99_ms": f100["p99"],
        "detail": f"{f1['rate']:.0f} orders/s / {commits:.0f} raw commits/s; at 100/s: "
        f"p50 {f100['p50']:.1f} ms, p99 {f100['p99']:.1f} ms",
    }


# --------------------------------------------------------------------------- P4
def _seed_orders(db, n: int, days: int = 7) -> None:
    from app.core.domain import DispatchMode
    from tests.helpers import sample_order

    now = datetime.now(UTC)
    step = timedelta(days=days) / n
    batch = []
    for i in range(n):
        at = now - step * (n - i)
        o = sample_order(
            f"B{i:07d}",
            created_at=at,
            pickup_no=f"A{i % 1000}",
            note=f"测试路{i}号",
            dispatch_mode=DispatchMode.MANUAL,
        )
        batch.append((o, f"h{i}", "pos"))
        if len(batch) == 2000:
            db.insert_orders(batch, at)
            batch = []
    if batch:
        db.insert_orders(batch, now)


def p4(tmp: Path) -> dict:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)  # closing the view must not stop the loop
    import qasync

    from app.ui.board.model import BoardModel
    from app.ui.board.view import BoardView
    from tests.helpers import started_core

    base_rss = _rss_mb()
    out: dict = {}

    async def main() -> None:
        async with started_core(tmp) as core:
            db = core.service.db
            t0 = time.perf_counter()
            await db.run(_seed_orders, db, 100_000)
            out["seed_s"] = time.perf_counter() - t0
            assert db.count_orders() == 100_000
            t0 = time.perf_counter()
            rows = await core.service.board()
            model = BoardModel()
            model.set_rows(rows)
            view = BoardView(model)
            view.resize(1200, 700)
            view.show()
            view.table.viewport().grab()
            out["open_ms"] = (time.perf_counter() - t0) * 1000
            out["rows"] = len(rows)
            t0 = time.perf_counter()
            view.search.setText("测试路99")
            view.table.viewport().grab()
            out["filter_ms"] = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            found = await core.service.board(search="测试路5000")  # the database search
            out["db_search_ms"] = (time.perf_counter() - t0) * 1000
            out["db_found"] = len(found)
            view.close()

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(main())
    rss = _rss_mb()
    total = out["open_ms"] + out["filter_ms"]
    return {
        "measured": total,
        "rss_mb": rss,
        "base_rss_mb": base_rss,
        "detail": f"open {out['open_ms']:.0f} ms ({out['rows']} rows in today's window) + "
        f"filter {out['filter_ms']:.0f} ms; DB search {out['db_search_ms']:.0f} ms; "
        f"peak RSS {rss:.0f} MB (QApplication alone {base_rss:.0f} MB); seed {out['seed_s']:.0f} s",
    }


# --------------------------------------------------------------------------- P5
def p5(tmp: Path) -> dict:
    import datetime as dt

    from app.core.reconciliation.export import ATTEMPT_COLS, attempt_values
    from app.core.reconciliation.summary import Aggregator
    from app.core.storage.recon_repo import iter_attempts
    from tests.bench.bench_export import N, raw_xlsxwriter
    from tests.core.reconciliation.data import bulk_seed, make_db
    from tests.fakes.reports import StubService

    db = make_db(tmp)
    bulk_seed(db, N)
    reports = StubService(db).reports()
    res = asyncio.run(
        reports.export(
            tmp / "jupei.xlsx", date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 30)
        )
    )
    assert res.rows == N
    agg = Aggregator()
    rows = [
        [v / 100 if c.kind == "money" and v is not None else v
         for c, v in zip(ATTEMPT_COLS, attempt_values(r, "store", "zh", agg), strict=True)]
        for r in iter_attempts(db.engine, "2026-11-01", "2026-11-30")
    ]  # fmt: skip
    raw_s = raw_xlsxwriter(tmp / "raw.xlsx", rows)
    return {
        "measured": res.seconds / raw_s,
        "detail": f"export {res.seconds:.1f} s / raw XlsxWriter {raw_s:.1f} s ({N:,} rows)",
    }


# --------------------------------------------------------------------------- P6
def _time_child(mode: str, home: Path, marks: dict | None = None) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", JUPEI_HOME=str(home),
               JUPEI_REHEARSAL__MODE="on", JUPEI_POS__PORT="0", PYTHONPATH=str(ROOT))  # fmt: skip
    t0 = time.perf_counter()
    p = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.start_child", mode],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    for line in p.stdout:  # type: ignore[union-attr]
        if line.startswith("MARK ") and marks is not None:
            _, k, v = line.split()
            marks[k] = float(v)
        if line.startswith("SHOWN"):
            took = time.perf_counter() - t0
            break
    else:
        raise RuntimeError(f"{mode} child never showed a window (rc {p.wait()})")
    p.kill()
    p.wait()
    return took


# window first: the core is built and started after the window shows, off the GUI thread
P6_STEPS = ["import_pyside6", "import_entry", "import_window", "settings_logging",
            "qapplication", "window_construct", "window_show"]  # fmt: skip


def p6(tmp: Path) -> dict:
    """Spawn -> SHOWN, fresh processes, interleaved. ``app`` = first start on an empty
    JUPEI_HOME (migrations from scratch: the figure as defined); ``warm`` = a second start
    on that same home (the everyday case). The app children run in ``profile`` mode, which
    only wraps app functions to print a mark after each step (overhead: a few prints)."""
    bare, app, warm = [], [], []
    steps: dict[str, list[float]] = {k: [] for k in ["interpreter", *P6_STEPS]}
    for i in range(3):
        bare.append(_time_child("bare", tmp / f"b{i}"))
        m: dict = {}
        app.append(_time_child("profile", tmp / f"a{i}", m))
        prev = 0.0
        for k in P6_STEPS:
            steps[k].append(m[k] - prev)
            prev = m[k]
        steps["interpreter"].append(app[-1] * 1000 - m["window_show"])
        warm.append(_time_child("profile", tmp / f"a{i}"))
    b, a, w = (statistics.median(x) for x in (bare, app, warm))
    br = {k: statistics.median(v) for k, v in steps.items()}
    parts = ", ".join(f"{k} {v:.0f}" for k, v in br.items())
    return {
        "measured": a / b,
        "warm_ratio": w / b,
        "breakdown_ms": br,
        "detail": f"first start {a * 1000:.0f} ms / bare QMainWindow {b * 1000:.0f} ms "
        f"(median of 3, spawn to shown); warm start (existing home) {w * 1000:.0f} ms = "
        f"{w / b:.2f}x; first start, ms: {parts} (interpreter = spawn + Python start-up + "
        f"event loop to the shown callback)",
    }


BENCHES = {"P1": p1, "P2": p2, "P4": p4, "P5": p5, "P6": p6}


def child(name: str) -> None:
    from tests.bench import bench_load

    fns = {**BENCHES, "P3": bench_load.p3, "P7": bench_load.p7}
    with tempfile.TemporaryDirectory(prefix=f"jupei-bench-{name}-") as d:
        fn = fns[name]
        res = asyncio.run(fn(Path(d))) if asyncio.iscoroutinefunction(fn) else fn(Path(d))
    print("RESULT " + json.dumps(res), flush=True)


if __name__ == "__main__":
    child(sys.argv[1])
