"""Intake benchmark (run on demand: ``pytest tests/bench/bench_intake.py -m bench -s``).

Prints, for this machine and disk, in one run:
  * single-row durable SQLite commits/s (WAL + synchronous=FULL, one INSERT per commit),
  * POS intake throughput, durable (``pos-sim --rate 0``, one and two client processes),
  * p50/p99 latency at 100 orders/s (``pos-sim --rate 100``),
all against ``python -m app serve`` on the same temp directory. Figures, not asserts."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes.pos import SECRET, free_port, start_serve, wait_healthy

ROOT = Path(__file__).resolve().parents[2]


def sqlite_commits_per_s(path: Path, n: int = 500) -> float:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
    row = "x" * 600  # about one order row
    t0 = time.perf_counter()
    for _ in range(n):
        con.execute("BEGIN")
        con.execute("INSERT INTO t (payload) VALUES (?)", (row,))
        con.execute("COMMIT")
    took = time.perf_counter() - t0
    con.close()
    return n / took


def pos_sim(url: str, *args: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "app", "pos-sim", "--url", url, "--secret", SECRET, *args]
    env = dict(os.environ, JUPEI_POS__SECRET=SECRET)
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


def figures(line: str) -> dict[str, float]:
    m = re.search(r"sent (\d+).*\| ([\d.]+) orders/s \| p50 ([\d.]+) ms, p99 ([\d.]+) ms", line)
    assert m, line
    return {"sent": float(m[1]), "rate": float(m[2]), "p50": float(m[3]), "p99": float(m[4])}


def run_clients(url: str, clients: int, *args: str) -> tuple[float, list[str]]:
    t0 = time.perf_counter()
    procs = [pos_sim(url, *args) for _ in range(clients)]
    outs = [p.communicate(timeout=300)[0].strip() for p in procs]
    return time.perf_counter() - t0, outs


@pytest.mark.bench
def test_bench_intake(tmp_path):
    commits = sqlite_commits_per_s(tmp_path / "commit_bench.db")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_serve(tmp_path, port)
    try:
        wait_healthy(url, proc)
        pos_sim(url, "--rate", "0", "--count", "200").communicate(timeout=120)  # warm up
        _, (one,) = run_clients(url, 1, "--rate", "0", "--count", "2000", "--concurrency", "64")
        _, two = run_clients(url, 2, "--rate", "0", "--count", "1500", "--concurrency", "64")
        _, (paced,) = run_clients(url, 1, "--rate", "100", "--count", "1000", "--concurrency", "32")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    f1, f100 = figures(one), figures(paced)
    both = sum(figures(x)["rate"] for x in two)
    print()
    print(f"single-row durable SQLite commits/s (WAL, synchronous=FULL): {commits:8.0f}")
    print(
        f"POS intake, durable, 1 pos-sim client (64 in flight):       {f1['rate']:8.0f} "
        f"orders/s  p50 {f1['p50']:.1f} ms  p99 {f1['p99']:.1f} ms"
    )
    print(f"POS intake, durable, 2 pos-sim clients (sum of rates):      {both:8.0f} orders/s")
    print(
        f"POS intake at 100 orders/s:                                  {f100['rate']:8.0f} "
        f"orders/s  p50 {f100['p50']:.1f} ms  p99 {f100['p99']:.1f} ms"
    )
    print("raw:", one, "|", " / ".join(two), "|", paced)
