"""The hub server in-process on a real PostgreSQL: health, enrolment, store-scoped device
endpoints, the push relay (signed 美团/饿了么 pushes, bad signatures, unknown store refs,
duplicates) and the counter-side long-poll client with a fake handler."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, text

from app.core.sandbox.sources.eleme import ElemeSim
from app.core.sandbox.sources.meituan import MeituanSim
from app.core.sources.base import PushRequest
from app.hub.client import HandlerRetry, HubAuthError, HubClient
from app.hub.tables import pushes
from tests.fakes.hub import InProcessHub

MT_SECRET = "hub-test-mt-secret"
EL_SECRET = "hub-test-el-secret"
SECRETS = {"meituan": MT_SECRET, "eleme": EL_SECRET}
pytestmark = pytest.mark.asyncio


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _count(hub: InProcessHub, *where) -> int:
    with hub.engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).select_from(pushes).where(*where)).scalar_one()
        )


async def _store_info(hub: InProcessHub, token: str) -> dict:
    async with httpx.AsyncClient() as http:
        return (await http.get(hub.url + "/hub/v1/store", headers=_auth(token))).json()


def _mt(hub: InProcessHub, poi: str = "S001") -> MeituanSim:
    return MeituanSim(
        secret=MT_SECRET, app_poi_code=poi, push_base_url=hub.url + "/hub/v1/sources/meituan"
    )


async def test_health_reports_database_and_migrations(hub_db_url):
    async with InProcessHub(hub_db_url, SECRETS) as hub, httpx.AsyncClient() as http:
        r = await http.get(hub.url + "/hub/v1/health")
        assert r.status_code == 200
        doc = r.json()
        assert doc["database"] == "ok" and doc["schema"]["up_to_date"] is True
        assert doc["schema"]["current"] == doc["schema"]["head"] == "h0006"
        assert sorted(doc["sources"]) == ["eleme", "meituan"]
        with hub.engine.begin() as conn:  # a database behind the code: not healthy
            conn.execute(text("UPDATE hub_alembic_version SET version_num = 'h0000'"))
        r = await http.get(hub.url + "/hub/v1/health")
        assert r.status_code == 503
        assert r.json()["status"] == "migrations pending"


async def test_enrolment_code_is_single_use_hashed_and_expires(hub_db_url):
    async with InProcessHub(hub_db_url, SECRETS) as hub, httpx.AsyncClient() as http:
        store_id, code = hub.add_store()
        with hub.engine.connect() as conn:
            stored = conn.execute(text("SELECT code_hash FROM hub_enrolment")).scalars().all()
        assert code not in stored and len(stored) == 1 and len(stored[0]) == 64
        r = await http.post(hub.url + "/hub/v1/enrol", json={"code": code.lower().replace("-", "")})
        assert r.status_code == 200
        doc = r.json()
        assert doc["store_id"] == store_id and doc["store_name"] == "人民路店"
        with hub.engine.connect() as conn:
            hashes = conn.execute(text("SELECT token_hash FROM hub_device")).scalars().all()
        assert doc["token"] not in hashes and len(hashes) == 1
        again = await http.post(hub.url + "/hub/v1/enrol", json={"code": code})
        assert again.status_code == 403
        me = await http.get(hub.url + "/hub/v1/store", headers=_auth(doc["token"]))
        assert me.status_code == 200 and me.json()["store_id"] == store_id
        # 24 h later an unused code is refused
        late = hub.repo.new_enrolment(store_id, hub.clock.now(), timedelta(hours=24))
        assert hub.repo.enrol(late, "pc", hub.clock.now() + timedelta(hours=24, seconds=1)) is None
        assert hub.repo.enrol(late, "pc", hub.clock.now()) is not None


DEVICE_ENDPOINTS = [
    ("GET", "/hub/v1/store", None),
    ("GET", "/hub/v1/inbox", None),
    ("POST", "/hub/v1/inbox/ack", {"cursor": 1}),
    ("POST", "/hub/v1/sync", {"rows": [{"table": "orders", "id": 1, "version": 1, "data": {}}]}),
]


@pytest.mark.parametrize(("method", "path", "body"), DEVICE_ENDPOINTS)
async def test_every_device_endpoint_is_scoped_to_the_token_store(hub_db_url, method, path, body):
    async with InProcessHub(hub_db_url, SECRETS) as hub, httpx.AsyncClient() as http:
        store_a, _ = hub.add_store("A店")
        store_b, _ = hub.add_store("B店")
        token_a, token_b = hub.device(store_a), hub.device(store_b)
        hub.repo.map_ref(store_b, "meituan", "POI-B", hub.clock.now())
        sim = _mt(hub, "POI-B")
        assert await sim.push_order(sim.new_order())  # one push waiting in B's inbox

        async def call(token: str | None, **params):
            headers = _auth(token) if token else {}
            params.setdefault("wait", "0") if path == "/hub/v1/inbox" else None
            return await http.request(
                method, hub.url + path, headers=headers, params=params, json=body
            )

        assert (await call(None)).status_code == 401
        assert (await call("jph_not-a-token")).status_code == 401
        assert (await call(token_a, store=store_b)).status_code == 403
        own = await call(token_a, store=store_a)
        assert own.status_code == 200 and own.json()["store_id"] == store_a
        if path == "/hub/v1/inbox":
            assert own.json()["pushes"] == []  # A never sees B's push
            b = await call(token_b)
            assert len(b.json()["pushes"]) == 1
        if path == "/hub/v1/inbox/ack":
            with hub.engine.connect() as conn:
                acked = dict(
                    conn.execute(text("SELECT store_id, acked_cursor FROM hub_device")).all()
                )
            assert acked == {store_a: 1, store_b: 0}  # A's ack moved only A's device
        # revoking A cuts A off and leaves B alone
        assert hub.repo.revoke_store(store_a, hub.clock.now()) == 1
        assert (await call(token_a)).status_code == 401
        assert (await call(token_b)).status_code == 200


async def test_signed_meituan_push_reaches_the_store_inbox_once(hub_db_url):
    async with InProcessHub(hub_db_url, SECRETS) as hub, httpx.AsyncClient() as http:
        store_id, _ = hub.add_store()
        hub.repo.map_ref(store_id, "meituan", "S001", hub.clock.now())
        token = hub.device(store_id)
        sim = _mt(hub)
        oid = sim.new_order()
        sim.faults.duplicate_pushes = 1  # the platform sends it twice
        assert await sim.push_order(oid)
        assert _count(hub) == 1
        r = await http.get(
            hub.url + "/hub/v1/inbox", params={"after": 0, "wait": 0}, headers=_auth(token)
        )
        doc = r.json()
        assert [p["cursor"] for p in doc["pushes"]] == [1] and doc["cursor"] == 1
        item = doc["pushes"][0]
        assert (item["source"], item["kind"]) == ("meituan", "order")
        assert item["request"]["path"] == "/hub/v1/sources/meituan/order"
        # what the counter gets verifies with the same parse_push, over the hub's URL
        from app.hub.pushes import request_from_json

        got = hub.relay.verify("meituan", "order", request_from_json(item["request"]), hub.url)
        assert got.result.events[0].source_order_id == oid
        assert got.store_ref == "S001"


async def test_bad_signature_is_refused_and_not_stored(hub_db_url):
    async with InProcessHub(hub_db_url, SECRETS) as hub:
        store_id, _ = hub.add_store()
        hub.repo.map_ref(store_id, "meituan", "S001", hub.clock.now())
        forger = MeituanSim(
            secret="not-the-brand-secret",
            push_base_url=hub.url + "/hub/v1/sources/meituan",
        )
        assert not await forger.push_order(forger.new_order())
        async with httpx.AsyncClient() as http:
            r = await http.post(
                hub.url + "/hub/v1/sources/meituan/order",
                content=b"order_id=1&app_poi_code=S001&sig=deadbeef&timestamp=1",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert r.status_code == 400
            assert r.json()["data"] == "ng"
            unknown = await http.post(hub.url + "/hub/v1/sources/douyin/order", content=b"x")
            assert unknown.status_code == 404
        assert _count(hub) == 0


async def test_unknown_store_ref_is_queued_then_handed_over_when_mapped(hub_db_url):
    async with InProcessHub(hub_db_url, SECRETS) as hub, httpx.AsyncClient() as http:
        store_id, _ = hub.add_store()
        token = hub.device(store_id)
        sim = _mt(hub, "POI-NEW")
        first, second = sim.new_order(), sim.new_order()
        assert await sim.push_order(first) and await sim.push_order(second)  # platform: "ok"
        assert _count(hub, pushes.c.store_id.is_(None)) == 2
        [queued] = hub.repo.list_unmapped()
        assert (queued.source, queued.ref, queued.pushes) == ("meituan", "POI-NEW", 2)
        r = await http.get(hub.url + "/hub/v1/inbox", params={"wait": 0}, headers=_auth(token))
        assert r.json()["pushes"] == []
        assert hub.repo.map_ref(store_id, "meituan", "POI-NEW", hub.clock.now()) == 2
        assert hub.repo.list_unmapped() == []
        r = await http.get(hub.url + "/hub/v1/inbox", params={"wait": 0}, headers=_auth(token))
        bodies = [p["request"]["body_b64"] for p in r.json()["pushes"]]
        assert [p["cursor"] for p in r.json()["pushes"]] == [1, 2] and len(set(bodies)) == 2
        with pytest.raises(ValueError, match="already mapped"):
            other, _ = hub.add_store("别的店")
            hub.repo.map_ref(other, "meituan", "POI-NEW", hub.clock.now())


async def test_signed_eleme_push_is_relayed_by_shop_id(hub_db_url):
    async with InProcessHub(hub_db_url, SECRETS) as hub:
        store_id, _ = hub.add_store()
        hub.repo.map_ref(store_id, "eleme", "500001", hub.clock.now())
        sim = ElemeSim(
            secret=EL_SECRET, shop_id=500001, push_url=hub.url + "/hub/v1/sources/eleme/push"
        )
        assert await sim.push_new_order(sim.new_order())
        assert _count(hub, pushes.c.store_id == store_id) == 1


async def test_long_poll_wakes_on_a_push_and_the_client_hands_it_on(hub_db_url):
    async with InProcessHub(hub_db_url, SECRETS) as hub:
        store_id, _ = hub.add_store()
        hub.repo.map_ref(store_id, "meituan", "S001", hub.clock.now())
        token = hub.device(store_id)
        await asyncio.wait_for(hub.notifier.listening.wait(), 10)
        got: list[tuple[str, str, PushRequest]] = []

        async def handle_push(source: str, kind: str, request: PushRequest) -> None:
            got.append((source, kind, request))

        client = HubClient(hub.url, token, handle_push, wait_s=20)
        try:
            waiting = asyncio.create_task(client.poll_once())
            await asyncio.sleep(0.3)  # the request is parked in the long-poll
            assert not waiting.done()
            sim = _mt(hub)
            oid = sim.new_order()
            assert await sim.push_order(oid)
            assert await asyncio.wait_for(waiting, 15) == 1
            [(source, kind, request)] = got
            assert (source, kind) == ("meituan", "order")
            assert f"order_id={oid}" in request.body.decode()
            me = await _store_info(hub, token)
            assert me["acked"] == me["head"] == 1  # acknowledged after the handler ran
            # a new client (the PC restarted) resumes after the acknowledged cursor
            again = HubClient(hub.url, token, handle_push, wait_s=0)
            assert await again.poll_once() == 0 and again.cursor == 1
            await again.aclose()
            hub.repo.revoke_store(store_id, hub.clock.now())
            with pytest.raises(HubAuthError):
                await client.run()
        finally:
            await client.aclose()


async def test_a_failing_handler_does_not_acknowledge(hub_db_url):
    async with InProcessHub(hub_db_url, SECRETS) as hub:
        store_id, _ = hub.add_store()
        hub.repo.map_ref(store_id, "meituan", "S001", hub.clock.now())
        token = hub.device(store_id)
        sim = _mt(hub)
        assert await sim.push_order(sim.new_order())
        calls = []

        async def broken(source: str, kind: str, request: PushRequest) -> None:
            calls.append(kind)
            raise RuntimeError("counter store is busy")

        client = HubClient(hub.url, token, broken, wait_s=0)
        try:
            with pytest.raises(RuntimeError):
                await client.poll_once()
        finally:
            await client.aclose()
        me = await _store_info(hub, token)
        assert me["acked"] == 0 and me["head"] == 1 and calls == ["order"]


async def test_public_base_url_is_what_the_signature_covers(hub_db_url):
    public = "https://hub.example.cn"
    async with InProcessHub(hub_db_url, SECRETS, public_base_url=public) as hub:
        store_id, _ = hub.add_store()
        hub.repo.map_ref(store_id, "meituan", "S001", hub.clock.now())
        # signed over the public address, delivered through the proxy to the local port
        sim = _mt(hub)
        oid = sim.new_order()
        fields = {k: str(v) for k, v in sim.order_push_fields(oid).items()}
        fields.update(app_id=sim.app_id, timestamp="1700000000")
        from urllib.parse import urlencode

        from app.core.sources.meituan import mapping

        async with httpx.AsyncClient() as http:
            for signed_over, expected in ((public, 200), (hub.url, 400)):
                sig = mapping.sign(f"{signed_over}/hub/v1/sources/meituan/order", fields, MT_SECRET)
                r = await http.post(
                    hub.url + "/hub/v1/sources/meituan/order",
                    content=urlencode({**fields, "sig": sig}).encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                assert r.status_code == expected, signed_over
        assert _count(hub, pushes.c.store_id == store_id) == 1


async def test_relayed_push_enters_the_counter_through_receive_push(hub_db_url):
    """The counter side: the client hands the relayed request to the same
    ``inbox.receive_push`` a local push takes; the counter's connector, configured with
    the hub's push address, verifies it again and stores the order once."""
    from app.core.clock import SystemClock
    from app.core.sources.base import SourceContext
    from app.core.sources.http import SourceHttp
    from app.core.sources.inbox import receive_push
    from app.core.sources.registry import build_connector
    from app.core.sources.store import MemorySourceStore

    async with InProcessHub(hub_db_url, SECRETS) as hub:
        store_id, _ = hub.add_store()
        hub.repo.map_ref(store_id, "meituan", "S001", hub.clock.now())
        token = hub.device(store_id)
        http = SourceHttp()
        counter = build_connector(
            SourceContext(
                source="meituan",
                base_url="",
                credentials={"app_id": "1000", "app_secret": MT_SECRET},
                http=http,
                clock=SystemClock(),
                push_base_url=hub.url + "/hub/v1/sources/meituan",
            )
        )
        local = MemorySourceStore()
        replies = []

        async def handle_push(source: str, kind: str, request: PushRequest) -> None:
            assert source == counter.id
            replies.append(await receive_push(counter, local, kind, request))

        sim = _mt(hub)
        oid = sim.new_order()
        assert await sim.push_order(oid)
        assert await sim.push("cancel", sim.user_cancel(oid))
        client = HubClient(hub.url, token, handle_push, wait_s=0)
        try:
            assert await client.poll_once() == 2
        finally:
            await client.aclose()
            await http.aclose()
        assert [r.status for r in replies] == [200, 200]
        assert [o.source_order_id for o in replies[0].new_orders] == [oid]
        assert replies[1].changed == (oid,)
        assert (await local.get("meituan", oid)).cancel_requested is True


async def test_a_push_naming_no_store_follows_its_order(hub_db_url):
    """ASSUMED (美团 cancel/refund pushes may lack app_poi_code): such a push takes the
    store of its order's earlier push, or waits until that push arrives."""
    async with InProcessHub(hub_db_url, SECRETS) as hub, httpx.AsyncClient() as http:
        store_id, _ = hub.add_store()
        hub.repo.map_ref(store_id, "meituan", "S001", hub.clock.now())
        token = hub.device(store_id)
        sim = _mt(hub)
        early, late = sim.new_order(), sim.new_order()
        assert await sim.push("cancel", sim.user_cancel(early))  # before its order push
        [orphan] = hub.repo.list_unmapped()
        assert (orphan.ref, orphan.pushes) == ("", 1)
        assert await sim.push_order(early)
        assert await sim.push_order(late)
        assert await sim.push("cancel", sim.user_cancel(late))  # after: follows at once
        assert hub.repo.list_unmapped() == []
        r = await http.get(hub.url + "/hub/v1/inbox", params={"wait": 0}, headers=_auth(token))
        got = [(p["cursor"], p["kind"]) for p in r.json()["pushes"]]
        assert got == [(1, "order"), (2, "cancel"), (3, "order"), (4, "cancel")]


@dataclass
class _Reply:
    status: int


@pytest.mark.allow_warnings
async def test_handler_replies_decide_retry_or_pass_over(hub_db_url, caplog):
    """A 5xx reply from the counter's push handler keeps the cursor (retry); a 4xx is a
    refusal a repeat cannot cure: logged, passed over (the push stays on the hub)."""
    async with InProcessHub(hub_db_url, SECRETS) as hub:
        store_id, _ = hub.add_store()
        hub.repo.map_ref(store_id, "meituan", "S001", hub.clock.now())
        token = hub.device(store_id)
        sim = _mt(hub)
        assert await sim.push_order(sim.new_order())
        answer = _Reply(503)

        async def handler(source: str, kind: str, request: PushRequest) -> _Reply:
            return answer

        client = HubClient(hub.url, token, handler, wait_s=0)
        try:
            with pytest.raises(HandlerRetry):
                await client.poll_once()
            assert (await _store_info(hub, token))["acked"] == 0
            answer = _Reply(400)
            assert await client.poll_once() == 1
            assert (await _store_info(hub, token))["acked"] == 1
        finally:
            await client.aclose()
        assert "refused the relayed meituan/order push at cursor 1" in caplog.text


async def test_access_log_has_paths_only(hub_db_url, caplog):
    """美团 may push by GET with the recipient's phone in the query: never logged."""
    async with InProcessHub(hub_db_url, SECRETS) as hub, httpx.AsyncClient() as http:
        r = await http.get(
            hub.url + "/hub/v1/sources/meituan/order",
            params={"recipient_phone": "13812345678", "app_poi_code": "S001"},
        )
        assert r.status_code == 200 and r.json() == {"data": "ok"}  # console check/heartbeat
        enrol = await http.post(hub.url + "/hub/v1/enrol", json={"code": "NOPE-NOPE-NOPE"})
        assert enrol.status_code == 403
    access = [json.loads(r.getMessage()) for r in caplog.records if r.name == "jupei.hub.access"]
    assert [(e["method"], e["path"], e["status"]) for e in access[:2]] == [
        ("GET", "/hub/v1/sources/meituan/order", 200),
        ("POST", "/hub/v1/enrol", 403),
    ]
    assert access[0]["device"] is None and access[0]["ms"] >= 0
    hub_side = " ".join(
        r.getMessage() for r in caplog.records if r.name.startswith(("jupei", "app", "aiohttp"))
    )
    assert "13812345678" not in hub_side and "NOPE" not in hub_side
