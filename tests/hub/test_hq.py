"""Head office on the hub (issue 16 item 6): HQ users (``hub user add``), login tokens,
and the cross-store reads — two stores upload through ``/hub/v1/sync`` as their counter
PCs do; head office sees both, filters by store, pages the board, gets reports by
store × carrier × day and streams the reconciliation rows. Device and HQ tokens never
open each other's endpoints."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from app.hub.hq_api import LoginThrottle
from app.hub.hq_client import HqClient, HqError
from app.hub.hq_repo import HqRepo, check_password, hash_password, hq_tokens, hq_users
from app.hub.tables import hub_audit
from tests.fakes.hub import InProcessHub, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai, business day 2026-12-01
PASSWORD = "correct horse battery"


def _order(i: int, at: datetime, *, day: str = "2026-12-01", fee: int = 600) -> dict:
    return {"table": "orders", "id": i, "version": i * 10, "data": {
        "id": i, "pos_order_id": f"P{i:04d}", "channel": "pos", "source": "pos",
        "state": "dispatched", "business_date": day, "pickup_no": f"A{i}",
        "customer_name": "王小明", "customer_phone": "138****5678", "address": "人民路1号",
        "distance_m": 1800, "total_fen": 4200, "delivery_fee_fen": fee,
        "received_at": at.isoformat(), "created_at": at.isoformat()}}  # fmt: skip


def _attempt(aid: int, order_id: int, at: datetime, *, carrier: str, status: str,
             no: int = 1, fee: int = 900, cancel_fee: int = 0) -> dict:  # fmt: skip
    done = status in ("delivered", "cancelled")
    return {"table": "attempts", "id": aid, "version": aid * 10 + 1, "data": {
        "id": aid, "order_id": order_id, "attempt_no": no, "carrier": carrier,
        "idempotency_key": f"k{aid}", "status": status, "quoted_fee_fen": fee,
        "actual_fee_fen": fee if status == "delivered" else None, "tip_fen": 100,
        "insurance_fee_fen": 0, "cancel_fee_fen": cancel_fee, "refund_fen": 0,
        "rider_name": "李师傅", "rider_phone": "139****0000",
        "cancelled_by": "merchant" if status == "cancelled" else None,
        "created_at": at.isoformat(), "dispatched_at": at.isoformat(),
        "accepted_at": (at + timedelta(minutes=2)).isoformat(),
        "finished_at": (at + timedelta(minutes=30)).isoformat() if done else None}}  # fmt: skip


async def _sync(http: httpx.AsyncClient, url: str, token: str, rows: list[dict]) -> None:
    r = await http.post(url + "/hub/v1/sync", json={"rows": rows},
                        headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["applied"] == len(rows)


async def _two_stores(hub: InProcessHub) -> tuple[str, str, str, str]:
    a, _ = hub.add_store("人民路店", "上海")
    b, _ = hub.add_store("南京西路店", "上海")
    ta, tb = hub.device(a), hub.device(b)
    async with httpx.AsyncClient() as http:
        # store A: order 1 delivered by dada; order 2 cancelled on shansong, then sf delivers
        await _sync(http, hub.url, ta, [
            _order(1, T0), _order(2, T0 + timedelta(minutes=5)),
            _attempt(1, 1, T0, carrier="dada", status="delivered"),
            _attempt(2, 2, T0, carrier="shansong", status="cancelled", cancel_fee=200),
            _attempt(3, 2, T0 + timedelta(minutes=6), carrier="sf", status="delivered", no=2),
        ])  # fmt: skip
        # store B: the same counter row ids (each PC numbers its own rows), next day too
        await _sync(http, hub.url, tb, [
            _order(1, T0 + timedelta(minutes=1)),
            _order(2, T0 + timedelta(days=1), day="2026-12-02"),
            _attempt(1, 1, T0, carrier="dada", status="delivered", fee=1100),
            _attempt(2, 2, T0 + timedelta(days=1), carrier="dada", status="pending_accept"),
        ])  # fmt: skip
    return a, b, ta, tb


async def test_password_hash_is_scrypt_and_salted():
    h1, h2 = hash_password(PASSWORD), hash_password(PASSWORD)
    assert h1.startswith("scrypt$16384$8$1$") and h1 != h2 and PASSWORD not in h1
    assert check_password(PASSWORD, h1) and not check_password(PASSWORD + "x", h1)
    assert not check_password(PASSWORD, "garbage")


async def test_hq_sees_both_stores_filters_pages_reports_and_exports(hub_db_url):
    async with InProcessHub(hub_db_url, {}) as hub:
        a, b, _, _ = await _two_stores(hub)
        HqRepo(hub.engine).add_user("总部张经理", PASSWORD, hub.clock.now())
        async with httpx.AsyncClient() as http:
            r = await http.post(hub.url + "/hub/v1/hq/login",
                                json={"name": "总部张经理", "password": PASSWORD})  # fmt: skip
            assert r.status_code == 200
            token = r.json()["token"]
            assert token.startswith("jpq_")
            with hub.engine.connect() as c:  # only the hash is kept, with an expiry
                row = c.execute(select(hq_tokens)).one()
            assert row.token_hash != token and token not in row.token_hash
            assert row.expires_at - row.created_at == timedelta(hours=12)
            auth = {"Authorization": f"Bearer {token}"}

            stores = (await http.get(hub.url + "/hub/v1/hq/stores", headers=auth)).json()
            by_id = {s["id"]: s for s in stores["stores"]}
            assert by_id[a]["name"] == "人民路店" and by_id[b]["name"] == "南京西路店"
            assert by_id[a]["orders"] == 2 and by_id[b]["orders"] == 2
            assert by_id[a]["devices"] == 1 and by_id[a]["last_sync_at"]

            # the board: every store, newest first, each order with its latest attempt
            board = (await http.get(hub.url + "/hub/v1/hq/board", headers=auth)).json()
            got = [(x["store_id"], x["id"]) for x in board["rows"]]
            assert got == [(b, 2), (a, 2), (b, 1), (a, 1)]
            a2 = board["rows"][1]
            assert a2["carrier"] == "sf" and a2["status"] == "delivered"
            assert a2["store_name"] == "人民路店" and a2["fee_fen"] == 900
            assert a2["customer"] == "王**" and a2["customer_phone"] == "138****5678"
            # filtered to one store
            only_a = (await http.get(hub.url + "/hub/v1/hq/board", headers=auth,
                                     params={"store": a})).json()  # fmt: skip
            assert [(x["store_id"], x["id"]) for x in only_a["rows"]] == [(a, 2), (a, 1)]
            # paged: two rows, then the rest from the cursor, nothing twice
            p1 = (await http.get(hub.url + "/hub/v1/hq/board", headers=auth,
                                 params={"limit": 2})).json()  # fmt: skip
            p2 = (await http.get(hub.url + "/hub/v1/hq/board", headers=auth,
                                 params={"limit": 2, "before": p1["next"]})).json()  # fmt: skip
            paged = [(x["store_id"], x["id"]) for x in p1["rows"] + p2["rows"]]
            assert paged == got

            # reports: store × carrier × day cells and the selection's summary
            rep = (await http.get(hub.url + "/hub/v1/hq/reports", headers=auth,
                                  params={"from": "2026-12-01", "to": "2026-12-02"})).json()  # fmt: skip
            cells = {(c["store_id"], c["day"], c["carrier"]): c for c in rep["cells"]}
            assert set(cells) == {(a, "2026-12-01", "dada"), (a, "2026-12-01", "shansong"),
                                  (a, "2026-12-01", "sf"), (b, "2026-12-01", "dada"),
                                  (b, "2026-12-02", "dada")}  # fmt: skip
            assert cells[(a, "2026-12-01", "dada")]["net_cost_fen"] == 1000  # 9.00 + 1.00 tip
            assert cells[(a, "2026-12-01", "shansong")]["net_cost_fen"] == 200  # cancel fee
            assert cells[(a, "2026-12-01", "shansong")]["cancel_rate"] == 1.0
            assert cells[(a, "2026-12-01", "dada")]["accept_mean_min"] == pytest.approx(2.0)
            assert cells[(a, "2026-12-01", "dada")]["deliver_mean_min"] == pytest.approx(30.0)
            total = rep["summary"]["total"]
            # 4 orders (store A's 1, 2 and B's 1, 2: the same row ids counted apart)
            assert total["orders"] == 4 and total["attempts"] == 5 and total["cancels"] == 1
            assert total["net_cost_fen"] == 1000 + 200 + 1000 + 1200 + 0
            assert total["failovers"] == 1
            only_b = (await http.get(hub.url + "/hub/v1/hq/reports", headers=auth, params={
                "from": "2026-12-01", "to": "2026-12-01", "store": b})).json()  # fmt: skip
            assert {c["store_id"] for c in only_b["cells"]} == {b}
            assert only_b["summary"]["total"]["orders"] == 1

            # export: streamed NDJSON, header, one line per attempt, end marker
            lines = []
            async with http.stream("GET", hub.url + "/hub/v1/hq/export", headers=auth, params={
                "from": "2026-12-01", "to": "2026-12-02", "store": [a, b]}) as resp:  # fmt: skip
                assert resp.status_code == 200
                assert resp.headers.get("transfer-encoding") == "chunked"
                async for line in resp.aiter_lines():
                    lines.append(json.loads(line))
            head, rows, end = lines[0], lines[1:-1], lines[-1]
            assert head["total"] == 5 and set(head["stores"]) == {a, b}
            assert end == {"end": True, "rows": 5}
            first, second = sorted((a, b))  # ordered by store, day, order, attempt
            want = {a: [1, 2, 3], b: [1, 2]}
            assert [(x["store_id"], x["attempt_id"]) for x in rows] == [
                (first, n) for n in want[first]] + [(second, n) for n in want[second]]  # fmt: skip
            rows = [x for x in rows if x["store_id"] == a] + [x for x in rows if x["store_id"] == b]
            assert rows[1]["last_attempt_no"] == 2 and rows[1]["cancel_fee_fen"] == 200
            assert "13812345678" not in json.dumps(lines)


async def test_device_and_hq_tokens_never_open_each_other(hub_db_url):
    async with InProcessHub(hub_db_url, {}) as hub:
        a, _b, ta, _tb = await _two_stores(hub)
        HqRepo(hub.engine).add_user("hq", PASSWORD, hub.clock.now())
        async with httpx.AsyncClient() as http:
            token = (await http.post(hub.url + "/hub/v1/hq/login",
                                     json={"name": "hq", "password": PASSWORD})).json()["token"]  # fmt: skip
            for path in ("stores", "board", "reports?from=2026-12-01&to=2026-12-01",
                         "export?from=2026-12-01&to=2026-12-01"):  # fmt: skip
                url = f"{hub.url}/hub/v1/hq/{path}"
                dev = await http.get(url, headers={"Authorization": f"Bearer {ta}"})
                assert dev.status_code == 401, path  # a counter's token reads no other store
                assert (await http.get(url)).status_code == 401, path
            hq = {"Authorization": f"Bearer {token}"}
            assert (await http.get(hub.url + "/hub/v1/store", headers=hq)).status_code == 401
            assert (await http.get(hub.url + "/hub/v1/inbox?wait=0", headers=hq)).status_code == 401
            sync = await http.post(hub.url + "/hub/v1/sync", headers=hq, json={"rows": []})
            assert sync.status_code == 401
            ack = await http.post(hub.url + "/hub/v1/inbox/ack", headers=hq, json={"cursor": 1})
            assert ack.status_code == 401
            bad = await http.post(hub.url + "/hub/v1/hq/login",
                                  json={"name": "hq", "password": "wrong password"})  # fmt: skip
            assert bad.status_code == 401
            nobody = await http.post(hub.url + "/hub/v1/hq/login",
                                     json={"name": "nobody", "password": PASSWORD})  # fmt: skip
            assert nobody.status_code == 401
            # an expired token is refused
            with hub.engine.begin() as c:
                c.execute(hq_tokens.update().values(expires_at=hub.clock.now() - timedelta(1)))
            assert (await http.get(hub.url + "/hub/v1/hq/stores", headers=hq)).status_code == 401
            # logout ends a token; disabling a user ends every one of theirs
            t2 = (await http.post(hub.url + "/hub/v1/hq/login",
                                  json={"name": "hq", "password": PASSWORD})).json()["token"]  # fmt: skip
            h2 = {"Authorization": f"Bearer {t2}"}
            assert (await http.get(hub.url + "/hub/v1/hq/stores", headers=h2)).status_code == 200
            HqRepo(hub.engine).disable_user("hq", hub.clock.now())
            assert (await http.get(hub.url + "/hub/v1/hq/stores", headers=h2)).status_code == 401
            # the device token still works on its own endpoints
            assert (await http.get(hub.url + "/hub/v1/store",
                                   headers={"Authorization": f"Bearer {ta}"})).json()["store_id"] == a  # fmt: skip


async def test_cli_user_add_prints_a_one_time_password_that_logs_in(hub_db_url, tmp_path):
    env = dict(os.environ, JUPEI_HUB__DATABASE_URL=hub_db_url)
    out = run_cli("hub", "user", "add", "--name", "总部李", env=env)
    assert out.returncode == 0, out.stderr
    password = out.stdout.split("one-time password: ", 1)[1].split()[0]
    assert len(password) >= 12
    chosen = run_cli("hub", "user", "add", "--name", "总部王", "--password-stdin", env=env,
                     stdin=PASSWORD + "\n")  # fmt: skip
    assert chosen.returncode == 0 and PASSWORD not in chosen.stdout
    again = run_cli("hub", "user", "add", "--name", "总部李", env=env)
    assert again.returncode == 1 and "exists" in again.stderr
    async with InProcessHub(hub_db_url, {}) as hub:
        with hub.engine.connect() as c:
            stored = dict(c.execute(select(hq_users.c.name, hq_users.c.password_hash)).all())
        assert password not in stored["总部李"] and stored["总部李"].startswith("scrypt$")
        client = HqClient(hub.url)
        name = await asyncio.to_thread(client.login, "总部李", password)
        assert name == "总部李"
        assert await asyncio.to_thread(client.stores) == []
        # the desktop's export: streamed into the counter's workbook writer (CSV here)
        a, _b, _, _ = await _two_stores(hub)
        out = tmp_path / "hq.csv"
        ticks: list[tuple[int, int]] = []
        res = await asyncio.to_thread(
            client.export, out, date_from=T0.date(), date_to=T0.date() + timedelta(days=1),
            store_ids=[a], fmt="csv", progress=lambda d, t: ticks.append((d, t)))  # fmt: skip
        assert res.rows == 3 and res.files[0] == out and len(res.files) == 3
        text = out.read_text(encoding="utf-8-sig")
        assert text.count("人民路店") == 3 and "南京西路店" not in text
        assert "138****5678" in text and ticks[-1] == (3, 3)
        days = res.files[2].read_text(encoding="utf-8-sig").splitlines()
        assert days[1].startswith("2026-12-01,2,3,2,1,")  # 2 orders, 3 attempts, 1 cancel
        other = HqClient(hub.url)
        with pytest.raises(HqError):
            await asyncio.to_thread(other.login, "总部王", "not it at all")
        assert await asyncio.to_thread(other.login, "总部王", PASSWORD) == "总部王"
        other.close()
        client.close()


async def test_failed_logins_are_throttled_and_hq_actions_audited(hub_db_url):
    async with InProcessHub(hub_db_url, {}) as hub:
        a, _b, _, _ = await _two_stores(hub)
        HqRepo(hub.engine).add_user("hq", PASSWORD, hub.clock.now())
        url = hub.url + "/hub/v1/hq/login"
        async with httpx.AsyncClient() as http:
            for _ in range(5):
                bad = await http.post(url, json={"name": "hq", "password": "guess guess"})
                assert bad.status_code == 401
            # the sixth try is refused whatever the password, with Retry-After
            held = await http.post(url, json={"name": "hq", "password": PASSWORD})
            assert held.status_code == 429 and int(held.headers["Retry-After"]) > 0
            # another name is not held back by these failures
            HqRepo(hub.engine).add_user("hq2", PASSWORD, hub.clock.now())
            ok = await http.post(url, json={"name": "hq2", "password": PASSWORD})
            assert ok.status_code == 200
            auth = {"Authorization": "Bearer " + ok.json()["token"]}
            async with http.stream("GET", hub.url + "/hub/v1/hq/export", headers=auth,
                                   params={"from": "2026-12-01", "to": "2026-12-01",
                                           "store": a}) as resp:  # fmt: skip
                assert resp.status_code == 200
                await resp.aread()
        HqRepo(hub.engine).disable_user("hq", hub.clock.now())
        with hub.engine.connect() as c:
            rows = c.execute(select(hub_audit).order_by(hub_audit.c.id)).all()
        actions = [(r.actor, r.action) for r in rows if r.action.startswith("hq_")]
        assert actions == [
            ("admin", "hq_user_added"), ("admin", "hq_user_added"), ("hq:hq2", "hq_login"),
            ("hq:hq2", "hq_export"), ("admin", "hq_user_disabled"),
        ]  # fmt: skip
        export = next(r for r in rows if r.action == "hq_export")
        assert export.detail == {"stores": [a], "from": "2026-12-01", "to": "2026-12-01",
                                 "rows": 3}  # fmt: skip
        assert PASSWORD not in str([r.detail for r in rows])


async def test_login_throttle_window():
    t = LoginThrottle(limit=3, window_s=60)
    for i in range(3):
        assert t.retry_after("x", 100.0 + i) == 0
        t.failed("x", 100.0 + i)
    assert t.retry_after("x", 103.0) == pytest.approx(57.0)
    assert t.retry_after("y", 103.0) == 0
    assert t.retry_after("x", 161.0) == 0  # the first failure left the window
    t.failed("x", 161.0)
    t.succeeded("x")
    assert t.retry_after("x", 162.0) == 0 and "x" not in t.failures
