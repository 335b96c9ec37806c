"""Quote fan-out benchmark (run on demand: ``pytest tests/bench/bench_fanout.py -m bench -s``).

Six sandboxes, carrier i answering every request after 100 * i ms (100..600 ms). Prints
the time from quote start to a dispatched attempt (fan-out + policy + create), the
fan-out alone, the slowest single quote on its own, and what sequential quoting would
cost. Figures, not asserts."""

from __future__ import annotations

import time

import pytest

from app.core.sandbox.engine import Faults
from tests.core.dispatch.support import add_order, eng, sandbox
from tests.helpers import started_core

CARRIERS = ("dada", "shansong", "sf", "meituan", "fengniao", "uupt")


@pytest.mark.bench
@pytest.mark.asyncio
@pytest.mark.allow_warnings  # aiohttp logs the polls still in flight when the core stops
async def test_fanout_against_slowest_single_quote(tmp_path):
    async with started_core(tmp_path) as core:
        e, sb = eng(core), sandbox(core)
        for i, cid in enumerate(CARRIERS, start=1):
            sb.set_faults(cid, Faults(latency_ms=100 * i))
        oid = await add_order(core)
        order = await core.service.db.run(core.service.db.get_order, oid)
        singles = {}
        for cid in CARRIERS:
            t0 = time.perf_counter()
            await core.service.gateway.get(cid).adapter.quote(order)  # type: ignore[arg-type]
            singles[cid] = time.perf_counter() - t0
        runs = []
        for _ in range(3):
            oid = await add_order(core)
            t0 = time.perf_counter()
            await e.collect_quotes(oid)
            fan = time.perf_counter() - t0
            oid = await add_order(core)
            t0 = time.perf_counter()
            a = await e.dispatch(oid, actor="auto")  # fresh fan-out + policy + create
            runs.append((fan, time.perf_counter() - t0, a.carrier))
        slowest = max(singles.values())
        print(f"\nsingle quotes (s): { {k: round(v, 3) for k, v in singles.items()} }")
        print(f"slowest single quote: {slowest:.3f}s; sequential sum: {sum(singles.values()):.3f}s")
        create = singles[runs[0][2]]
        for fan, total, carrier in runs:
            print(
                f"fan-out {fan:.3f}s ({fan / slowest:.2f}x slowest); quote start -> "
                f"dispatched at {carrier}: {total:.3f}s (create itself ~{create:.3f}s)"
            )
