"""kill -9 of ``python -m app serve`` between storing a platform push and replying to it.

The platform side (``python -m app sandbox`` serving the 美团外卖 / 饿了么 simulators)
runs in its own process, so it survives the kill and keeps the push it got no answer
for. The first ``serve`` runs with the crash point ``source_push_stored``
(``app.core.faultpoints``): it stores the pushed order, then SIGKILLs itself before the
reply and before the order reaches the board. After a restart the platform re-sends
the push: exactly one source order and exactly one JuPei order exist, nothing lost and
nothing doubled, and the order is confirmed (接单) on the platform exactly once."""

from __future__ import annotations

import signal
import sqlite3
import time

import httpx
import pytest

from tests.reliability.procs import clean_env, free_port, start_sandbox, start_serve, stop

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SECRET = "source-crash-secret-0123456789"
SETTLE_S = 60  # a give-up bound for the restarted app to put the order on the board


def _env(home, pos_port: int, sb_port: int, src_port: int, source: str) -> dict[str, str]:
    """``serve`` with one real-looking source in push mode pointed at the simulator (its
    rehearsal credentials); carriers are the sandboxes of the other process."""
    sim = f"http://127.0.0.1:{src_port}"
    env = clean_env(
        JUPEI_HOME=str(home),
        JUPEI_POS__PORT=str(pos_port),
        JUPEI_POS__SECRET=SECRET,
        JUPEI_REHEARSAL__MODE="on",
        JUPEI_REHEARSAL__SANDBOX_URL=f"http://127.0.0.1:{sb_port}",
        JUPEI_REHEARSAL__SOURCES="false",
    )
    prefix = f"JUPEI_SOURCES__{source.upper()}__"
    env[prefix + "MODE"] = "push"
    env[prefix + "BASE_URL"] = f"{sim}/{source}/api/v1/"
    env[prefix + "PUSH_BASE_URL"] = f"http://127.0.0.1:{pos_port}/api/v1/sources/{source}"
    env[prefix + "PULL_INTERVAL_S"] = "3600"  # the re-sent push, not a pull, must heal it
    creds = {
        "meituan": {
            "APP_ID": "1000",
            "APP_SECRET": "rehearsal-mt-wm-secret",
            "APP_POI_CODE": "S001",
        },
        "eleme": {
            "APP_KEY": "rehearsal-eleme-key",
            "APP_SECRET": "rehearsal-eleme-secret",
            "SHOP_ID": "720032",
            "ACCESS_TOKEN": "rehearsal-eleme-token",
            "REFRESH_TOKEN": "rehearsal-eleme-refresh",
        },
    }[source]
    env.update({prefix + k: v for k, v in creds.items()})
    return env


def _counts(home, source: str) -> tuple[int, int, list[tuple]]:
    con = sqlite3.connect(home / "data" / "jupei.db", timeout=10)
    try:
        n_src = con.execute(
            "select count(*) from source_orders where source = ?", (source,)
        ).fetchone()[0]
        rows = con.execute("select id, pos_order_id, pickup_no from orders").fetchall()
    finally:
        con.close()
    return n_src, len(rows), rows


def _paths(ctl: str) -> list[str]:
    log = httpx.get(ctl + "/log", timeout=10, trust_env=False).json()
    return [c["path"] for c in log["calls"]]


@pytest.mark.parametrize("source", ["meituan", "eleme"])
def test_sigkill_between_storing_a_push_and_replying(tmp_path, source):
    sb_port, src_port, pos_port = free_port(), free_port(), free_port()
    ctl = f"http://127.0.0.1:{src_port}/__sources/{source}"
    platform = start_sandbox(
        sb_port,
        log=tmp_path / "sandbox.log",
        sources_port=src_port,
        push_to=f"http://127.0.0.1:{pos_port}",
    )
    env = _env(tmp_path, pos_port, sb_port, src_port, source)
    serve = None
    try:
        victim = serve = start_serve(
            {**env, "JUPEI_TEST_CRASH_AT": "source_push_stored"},
            pos_port,
            log=tmp_path / "serve1.log",
        )
        made = httpx.post(ctl + "/new_order", json={}, timeout=30, trust_env=False).json()
        oid = made["order_id"]
        assert made["pushed"] is False  # no reply: the app died after storing the push
        victim.wait(timeout=10)
        assert victim.returncode == -signal.SIGKILL
        assert _counts(tmp_path, source)[:2] == (1, 0)  # stored, not yet on the board

        serve = start_serve(env, pos_port, log=tmp_path / "serve2.log")
        # the platform re-sends; the app says ok. 饿了么 also offers an unacknowledged push
        # to getPushFailMsg, which the restarted app may read (and acknowledge) first
        retried = httpx.post(ctl + "/retry", json={}, timeout=30, trust_env=False).json()
        assert retried == {"accepted": 1} or (source == "eleme" and retried == {"accepted": 0})
        deadline = time.monotonic() + SETTLE_S
        while time.monotonic() < deadline and _counts(tmp_path, source)[1] == 0:
            time.sleep(0.2)
        n_src, n_orders, rows = _counts(tmp_path, source)
        log = httpx.get(ctl + "/log", timeout=10, trust_env=False).json()
        deliveries = [(d["kind"], d["status"], d["accepted"]) for d in log["deliveries"]]
        print(f"\n{source}: deliveries {deliveries}; orders {rows}")
        assert n_src == 1 and n_orders == 1, rows
        assert rows[0][1] == f"{source}:{oid}"
        assert rows[0][2] == ("美团 #1" if source == "meituan" else "饿了么 #1")
        assert [d[2] for d in deliveries] == [False] + [True] * retried["accepted"]
        if not retried["accepted"]:
            assert "eleme.msgNew.confirmPullMsg" in [c["path"] for c in log["calls"]]
        # the restarted app also confirms (接单) the order it had stored but not announced
        confirm = {"meituan": "order/confirm", "eleme": "eleme.order.confirmOrderLite"}[source]
        while time.monotonic() < deadline and confirm not in _paths(ctl):
            time.sleep(0.2)
        assert _paths(ctl).count(confirm) == 1
    finally:
        if serve is not None:
            stop(serve)
        stop(platform)


def test_sigkill_between_storing_a_keruyun_delivery_request_and_replying(tmp_path):
    """The same for 客如云 (issue 17): its delivery request is stored, the app dies before
    the reply, 客如云 re-sends it (there is no pull), one order exists after the restart."""
    sb_port, src_port, pos_port = free_port(), free_port(), free_port()
    ctl = f"http://127.0.0.1:{src_port}/__sources/keruyun"
    platform = start_sandbox(
        sb_port,
        log=tmp_path / "sandbox.log",
        sources_port=src_port,
        push_to=f"http://127.0.0.1:{pos_port}",
    )
    env = _env(tmp_path, pos_port, sb_port, src_port, "meituan")
    env = {k: v for k, v in env.items() if not k.startswith("JUPEI_SOURCES__MEITUAN__")}
    prefix = "JUPEI_SOURCES__KERUYUN__"
    env.update(
        {
            prefix + "MODE": "push",
            prefix + "BASE_URL": f"http://127.0.0.1:{src_port}/keruyun/api/v1/",
            prefix + "APP_KEY": "301001",
            prefix + "SHOP_IDENTY": "247900001",
            prefix + "TOKEN": "rehearsal-keruyun-token",
        }
    )
    serve = None
    try:
        victim = serve = start_serve(
            {**env, "JUPEI_TEST_CRASH_AT": "source_push_stored"},
            pos_port,
            log=tmp_path / "serve1.log",
        )
        made = httpx.post(ctl + "/new_order", json={}, timeout=30, trust_env=False).json()
        oid = made["order_id"]
        assert made["pushed"] is False
        victim.wait(timeout=10)
        assert victim.returncode == -signal.SIGKILL
        assert _counts(tmp_path, "keruyun")[:2] == (1, 0)

        serve = start_serve(env, pos_port, log=tmp_path / "serve2.log")
        retried = httpx.post(ctl + "/retry", json={}, timeout=30, trust_env=False).json()
        assert retried == {"accepted": 1}
        deadline = time.monotonic() + SETTLE_S
        while time.monotonic() < deadline and _counts(tmp_path, "keruyun")[1] == 0:
            time.sleep(0.2)
        n_src, n_orders, rows = _counts(tmp_path, "keruyun")
        assert n_src == 1 and n_orders == 1, rows
        assert rows[0][1] == f"keruyun:{oid}" and rows[0][2] == "客如云 #1"
        # 客如云 has no 接单 call: at most the delivery's own status reports
        assert set(_paths(ctl)) <= {"open/v1/delivery/status/push"}
    finally:
        if serve is not None:
            stop(serve)
        stop(platform)
