"""``python -m tests.bench [P1 P3 ...]``: run the benchmarks (each in a fresh process)
and print measured / baseline next to each target."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ORDER = ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "H1"]
TITLE = {
    "P1": ("quote fan-out / max(L_i)", "<= 1.05", lambda r: r["measured"] <= 1.05),
    "P2": ("durable intake / no-DB handler (orders/s)", ">= 0.8, p99 <= 20 ms",
           lambda r: r["measured"] >= 0.8 and r["p99_ms"] <= 20),
    "P3": ("Qt loop lag p99 (ms), 100/s + 500 live", "p99 <= 16 ms",
           lambda r: r["measured"] <= 16),
    "P4": ("board open+filter 100k (ms)", "<= 100 ms, <= 300 MB",
           lambda r: r["measured"] <= 100 and r["rss_mb"] <= 300),
    "P5": ("export 100k / raw writer", "<= 1.3", lambda r: r["measured"] <= 1.3),
    "P6": ("start to window / bare window", "<= 1.5", lambda r: r["measured"] <= 1.5),
    "P7": ("poll requests / minimum", "<= 1.1 (< 0.95: falls behind)",
           lambda r: 0.95 <= r["measured"] <= 1.1),
    "P8": ("Linux bundle size (MB)", "<= 150 MB", lambda r: r["measured"] <= 150),
    "H1": ("hub pushes/s / PG single-row commits/s", "figure (no target)", None),
}  # fmt: skip


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import PySide6

        qt = PySide6.__version__
    except ImportError:
        qt = "-"
    return (f"{os.cpu_count()} CPUs, {cpu}; Python {platform.python_version()}; "
            f"PySide6 {qt}; {platform.platform()}")  # fmt: skip


def run_one(name: str) -> dict:
    t0 = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-m", "tests.bench.run", name],
        cwd=ROOT,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    line = next((x for x in p.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        tail = (p.stderr or p.stdout).strip().splitlines()[-5:]
        return {"error": " | ".join(tail) or f"rc {p.returncode}"}
    res = json.loads(line[7:])
    res["wall_s"] = time.perf_counter() - t0
    return res


def main(argv: list[str]) -> int:
    names = [a.upper() for a in argv] or ORDER
    print(f"machine: {machine()}", flush=True)
    rows = []
    for n in names:
        print(f"running {n} ...", file=sys.stderr, flush=True)
        rows.append((n, run_one(n)))
    print()
    print(f"{'':3} {'figure':40} {'measured':>9}  {'target':22} {'ok':3} detail")
    for n, r in rows:
        title, target, ok = TITLE[n]
        if "error" in r:
            print(f"{n:3} {title:40} {'ERROR':>9}  {target:22} {'-':3} {r['error']}")
            continue
        good = "-" if ok is None else "yes" if ok(r) else "NO"
        print(f"{n:3} {title:40} {r['measured']:9.2f}  {target:22} {good:3} {r['detail']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
