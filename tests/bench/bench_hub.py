"""Hub benchmark (run on demand: ``pytest tests/bench/bench_hub.py -m bench -s``).

Prints, on this machine, in one run against a throw-away PostgreSQL (``JUPEI_TEST_PG_URL``
or a local cluster, as the hub tests):
  * raw PostgreSQL single-row commits/s (one INSERT of a push-sized row per commit),
  * signed 美团 pushes/s through ONE ``python -m app hub`` process (verify, map, dedupe,
    commit, reply), ``BENCH_HUB_PUSHES`` pushes (default 2000) from 20 concurrent senders
    spread over 10 stores,
  * p50/p99 from sending a push to its store's counter client (``HubClient`` long-poll)
    having handed it on.
Figures, not asserts: the load generator shares the machine with the hub and PostgreSQL.
Also ``python -m tests.bench H1`` (it runs this file and prints the figures in its table).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import time
from urllib.parse import urlencode

import httpx
import psycopg
import pytest

from app.core.sandbox.sources.meituan import MeituanSim
from app.core.sources.base import PushRequest
from app.core.sources.meituan import mapping
from app.hub.client import HubClient
from app.hub.notify import libpq_conninfo
from tests.fakes.hub import run_cli
from tests.fakes.hub_pg import hub_db_url, hub_process, hub_template, pg_admin_url

__all__ = ["hub_db_url", "hub_process", "hub_template", "pg_admin_url"]

SECRET = "bench-hub-mt-secret"
STORES = 10
SENDERS = 20


def pg_commits_per_s(url: str, n: int = 500) -> float:
    with psycopg.connect(libpq_conninfo(url), autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_commit (id bigserial PRIMARY KEY, payload text)")
        row = "x" * 1500  # about one relayed order push
        t0 = time.perf_counter()
        for _ in range(n):
            with conn.transaction():
                conn.execute("INSERT INTO bench_commit (payload) VALUES (%s)", (row,))
        took = time.perf_counter() - t0
        conn.execute("DROP TABLE bench_commit")
    return n / took


def signed_bodies(base: str, n: int) -> list[tuple[str, bytes]]:
    """``n`` signed order pushes spread over the stores: (order id, form body)."""
    url = base + "/hub/v1/sources/meituan/order"
    sims = [  # order ids are platform-wide: each store's simulator gets its own range
        MeituanSim(
            secret=SECRET, app_poi_code=f"P{i:03d}", first_order_id=27061900338318741 + i * 10**7
        )
        for i in range(STORES)
    ]
    out = []
    for k in range(n):
        sim = sims[k % STORES]
        oid = sim.new_order()
        values = {key: str(v) for key, v in sim.order_push_fields(oid).items()}
        values.update(app_id=sim.app_id, timestamp=str(int(time.time())))
        sig = mapping.sign(url, values, SECRET)
        out.append((oid, urlencode({**values, "sig": sig}).encode()))
    return out


@pytest.mark.bench
@pytest.mark.asyncio
async def test_hub_push_rate_and_latency(hub_process, hub_db_url, tmp_path):
    n = int(os.environ.get("BENCH_HUB_PUSHES", "2000"))
    commits = pg_commits_per_s(hub_db_url)
    hub = hub_process(
        {"JUPEI_HUB__SOURCES__MEITUAN__APP_SECRET": SECRET, "JUPEI_HUB__LOG_LEVEL": "WARNING"}
    )
    env = dict(hub.env, JUPEI_HOME=str(tmp_path))
    tokens = []
    async with httpx.AsyncClient(timeout=30) as http:
        for i in range(STORES):
            added = json.loads(
                run_cli("hub", "store", "add", "--name", f"店{i}", "--json", env=env).stdout
            )
            run_cli(
                "hub",
                "store",
                "map",
                "--store",
                added["store_id"],
                "--source",
                "meituan",
                "--ref",
                f"P{i:03d}",
                env=env,
            )
            got = await http.post(hub.url + "/hub/v1/enrol", json={"code": added["code"]})
            tokens.append(got.json()["token"])
    bodies = signed_bodies(hub.url, n)
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    done = asyncio.Event()

    async def handed(_source: str, _kind: str, request: PushRequest) -> None:
        fields = dict(x.split("=", 1) for x in request.body.decode().split("&"))
        latencies.append(time.perf_counter() - sent_at[fields["order_id"]])
        if len(latencies) >= n:
            done.set()

    clients = [HubClient(hub.url, t, handed, wait_s=25) for t in tokens]
    pollers = [asyncio.create_task(c.run()) for c in clients]
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)
    errors = 0

    async def sender(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while not queue.empty():
            oid, body = queue.get_nowait()
            sent_at[oid] = time.perf_counter()
            r = await http.post(
                hub.url + "/hub/v1/sources/meituan/order",
                content=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            errors += r.status_code != 200

    limits = httpx.Limits(max_connections=SENDERS)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(sender(http) for _ in range(SENDERS)))
        took = time.perf_counter() - t0
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), 120)
    for p in pollers:
        p.cancel()
    await asyncio.gather(*pollers, return_exceptions=True)
    for c in clients:
        await c.aclose()
    lat = sorted(latencies)
    p99 = lat[int(len(lat) * 0.99) - 1]
    load = os.getloadavg()
    result = {
        "pg_commits_per_s": round(commits, 1),
        "pushes_per_s": round(n / took, 1),
        "pushes": n,
        "errors": errors,
        "p50_ms": round(statistics.median(lat) * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "loadavg": [round(x, 2) for x in load],
    }
    if os.environ.get("BENCH_HUB_JSON"):  # python -m tests.bench H1 reads it
        with open(os.environ["BENCH_HUB_JSON"], "w", encoding="utf-8") as f:
            json.dump(result, f)
    print(f"\nhub bench: load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", end="")
    print(
        f"\nhub bench: PostgreSQL single-row commits {commits:.0f}/s | one hub process: "
        f"{n} signed 美团 pushes in {took:.1f}s = {n / took:.0f} pushes/s ({errors} errors) | "
        f"push -> counter client p50 {statistics.median(lat) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms ({STORES} stores, {SENDERS} senders)"
    )
    assert len(latencies) == n and errors == 0
