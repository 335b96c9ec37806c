"""The POS API against the real listener on loopback: every status code of the contract."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest

from app.core.domain import OrderState
from app.core.pos.listener import PosListenerError
from tests.fakes.pos import PosClient, payload
from tests.helpers import make_settings

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


def err(r) -> dict:
    return r.json()["error"]


async def test_health_and_openapi_need_no_auth(pos):
    from app import __version__

    r = await pos.get("/health", signed=False)
    assert r.status_code == 200 and r.json() == {"status": "ok", "version": __version__}
    r = await pos.get("/openapi.json", signed=False)
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.") and "/api/v1/orders" in doc["paths"]
    assert doc["servers"][0]["url"] == pos.core.pos_listener.base_url


async def test_openapi_lists_the_source_push_paths(pos):
    """美团外卖 and 饿了么 pushes are in the served document, with their kinds, their
    replies, no POS signature and a note that the signature is the platform's own."""
    doc = (await pos.get("/openapi.json", signed=False)).json()
    op = doc["paths"]["/api/v1/sources/{source}/{kind}"]["post"]
    params = {p["name"]: p["schema"]["enum"] for p in op["parameters"]}
    assert params == {
        "source": ["meituan", "eleme", "youzan", "douyin", "keruyun"],
        "kind": ["order", "confirm", "cancel", "refund", "status", "push", "webhook", "delivery"],
    }
    assert op["security"] == []
    assert "platform's own" in op["description"] and "POS HMAC" in op["description"]
    assert set(op["requestBody"]["content"]) == {
        "application/x-www-form-urlencoded",
        "application/json",
    }
    assert {"200", "400", "403", "404", "503"} <= set(op["responses"])
    assert (
        '{"data":"ok"}'
        in op["responses"]["200"]["content"]["application/json"]["schema"]["description"]
    )


async def test_listener_reports_actual_port(pos):
    lis = pos.core.pos_listener
    assert lis.host == "127.0.0.1" and lis.port > 0
    assert lis.base_url == f"http://127.0.0.1:{lis.port}"


async def test_201_then_200_for_same_payload_then_409(pos):
    r1 = await pos.post("/orders", payload())
    assert r1.status_code == 201
    body = r1.json()
    assert body["pos_order_id"] == "P1001" and body["status"] == "new"
    assert isinstance(body["order_id"], int)
    # key order and whitespace do not matter: the canonical payload is hashed
    same = json.dumps(dict(reversed(list(payload().items()))), indent=2).encode()
    r2 = await pos.post("/orders", body=same)
    assert (r2.status_code, r2.json()) == (200, body)
    r3 = await pos.post("/orders", payload(total_fen=3900))
    assert r3.status_code == 409 and err(r3)["code"] == "conflict"
    assert await pos.count_orders() == 1
    order = await pos.core.service.db.run(pos.core.service.db.get_order, body["order_id"])
    assert order.total_fen == 3800  # the conflicting payload changed nothing


async def test_store_default_dispatch(pos):
    cfg = pos.core.service.settings
    cfg.dispatch.mode, cfg.pos.default_dispatch = "manual", "auto"
    assert (await pos.post("/orders", payload(pos_order_id="A"))).status_code == 201
    cfg.pos.default_dispatch = None  # absent: [dispatch] mode rules
    assert (await pos.post("/orders", payload(pos_order_id="B"))).status_code == 201
    assert (
        await pos.post("/orders", payload(pos_order_id="C", dispatch="auto"))
    ).status_code == 201
    db = pos.core.service.db
    modes = [(await db.run(db.get_order_by_pos_id, k)).dispatch_mode.value for k in "ABC"]
    assert modes == ["auto", "manual", "auto"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe", b"", b'{"a": NaN}'])
async def test_400_malformed_stores_nothing(pos, body):
    r = await pos.post("/orders", body=body)
    assert r.status_code == 400 and err(r)["code"] == "malformed"
    assert set(err(r)) == {"code", "message", "field"}
    assert await pos.count_orders() == 0


async def test_422_invalid_names_the_field_and_stores_nothing(pos):
    p = payload()
    p["customer"]["lat"] = 123.0
    r = await pos.post("/orders", p)
    assert r.status_code == 422
    assert err(r)["field"] == "customer.lat" and err(r)["code"] == "invalid_field"
    r = await pos.post("/orders", {k: v for k, v in payload().items() if k != "items"})
    assert r.status_code == 422 and err(r) == {**err(r), "code": "missing_field", "field": "items"}
    assert await pos.count_orders() == 0


async def test_413_above_max_body(pos):
    big = payload(note="x" * (256 * 1024))
    r = await pos.post("/orders", big)
    assert r.status_code == 413 and err(r)["code"] == "body_too_large"

    async def chunks():  # no Content-Length: the limit still holds while reading
        yield json.dumps(big).encode()

    body = json.dumps(big).encode()
    r = await pos.http.post(pos.base + "/orders", content=chunks(), headers=pos.headers(body))
    assert r.status_code == 413
    assert await pos.count_orders() == 0


async def test_415_when_not_json(pos):
    body = json.dumps(payload()).encode()
    headers = dict(pos.headers(body), **{"Content-Type": "text/plain"})
    r = await pos.post("/orders", body=body, headers=headers)
    assert r.status_code == 415 and err(r)["code"] == "unsupported_media_type"
    assert await pos.count_orders() == 0


@pytest.mark.parametrize("missing", ["X-Jupei-Timestamp", "X-Jupei-Nonce", "X-Jupei-Signature"])
async def test_401_missing_header(pos, missing):
    body = json.dumps(payload()).encode()
    headers = pos.headers(body)
    del headers[missing]
    r = await pos.post("/orders", body=body, headers=headers)
    assert r.status_code == 401
    assert err(r) == {**err(r), "code": "missing_auth_header", "field": missing}


@pytest.mark.parametrize("offset,status", [(-301, 401), (301, 401), (-290, 201), (290, 201)])
async def test_401_clock_skew(pos, offset, status):
    body = json.dumps(payload()).encode()
    r = await pos.post("/orders", body=body, headers=pos.headers(body, now=time.time() + offset))
    assert r.status_code == status
    if status == 401:
        assert err(r)["code"] == "clock_skew"


async def test_401_bad_signature_wrong_secret_or_tampered_body(pos):
    body = json.dumps(payload()).encode()
    r = await pos.post("/orders", body=body, headers=pos.headers(body, secret="wrong"))
    assert r.status_code == 401 and err(r)["code"] == "bad_signature"
    headers = pos.headers(body)
    r = await pos.post("/orders", body=body.replace(b"3800", b"1"), headers=headers)
    assert r.status_code == 401 and err(r)["code"] == "bad_signature"
    assert await pos.count_orders() == 0


async def test_401_bad_nonce_and_timestamp_format(pos):
    r = await pos.post("/orders", body=b"{}", headers=pos.headers(b"{}", nonce="short"))
    assert r.status_code == 401 and err(r)["code"] == "bad_nonce"
    h = dict(pos.headers(b"{}"), **{"X-Jupei-Timestamp": "soon"})
    r = await pos.post("/orders", body=b"{}", headers=h)
    assert r.status_code == 401 and err(r)["code"] == "bad_timestamp"


async def test_401_replayed_nonce_even_after_restart(tmp_path):
    import httpx

    from tests.helpers import started_core

    body = json.dumps(payload()).encode()
    async with started_core(tmp_path, pos=True) as core, httpx.AsyncClient() as http:
        c = PosClient(core, http)
        h = c.headers(body, nonce="replay-me-123")
        assert (await c.post("/orders", body=body, headers=h)).status_code == 201
        r = await c.post("/orders", body=body, headers=h)
        assert r.status_code == 401 and err(r)["code"] == "replayed_nonce"
        r = await c.http.get(c.base + "/orders/P1001", headers=c.headers(nonce="replay-me-123"))
        assert r.status_code == 401  # nonces are shared across endpoints
    async with started_core(tmp_path, pos=True) as core, httpx.AsyncClient() as http:
        r = await PosClient(core, http).post("/orders", body=body, headers=h)
        assert r.status_code == 401 and err(r)["code"] == "replayed_nonce"


async def test_401_on_get_and_cancel_without_auth(pos):
    assert (await pos.get("/orders/P1001", signed=False)).status_code == 401
    r = await pos.http.post(pos.base + "/orders/P1001/cancel", json={})
    assert r.status_code == 401


async def test_get_order_detail_and_404(pos):
    r = await pos.get("/orders/NOPE")
    assert r.status_code == 404 and err(r) == {**err(r), "code": "not_found"}
    await pos.post("/orders", payload(pickup_no="B7"))
    r = await pos.get("/orders/P1001")
    assert r.status_code == 200
    d = r.json()
    assert d["pos_order_id"] == "P1001" and d["status"] == "new"
    assert d["delivery"] is None and d["delivery_status"] is None
    assert d["timestamps"]["created_at"] == "2026-11-24T04:00:00Z"
    assert [e["kind"] for e in d["events"]] == ["received"]


async def test_get_order_shows_masked_rider_phone(pos):
    from app.core.domain import DeliveryAttempt, DeliveryStatus, Rider

    r = await pos.post("/orders", payload())
    svc = pos.core.service
    now = svc.clock.now()
    a = DeliveryAttempt(
        r.json()["order_id"],
        1,
        "dada",
        "k-1",
        DeliveryStatus.ACCEPTED,
        carrier_order_id="D123",
        rider=Rider("李师傅", "13900001111", 31.2, 121.4),
        quoted_fee_fen=900,
        created_at=now,
        accepted_at=now,
    )
    await svc.db.run(svc.db.insert_attempt, a)
    d = (await pos.get("/orders/P1001")).json()
    dl = d["delivery"]
    assert d["delivery_status"] == "accepted" and dl["carrier"] == "dada"
    assert dl["carrier_order_id"] == "D123" and dl["rider"]["name"] == "李师傅"
    assert dl["rider"]["phone"] == "139****1111" and dl["rider"]["lat"] == 31.2
    assert dl["fees"]["quoted_fee_fen"] == 900
    assert "13900001111" not in json.dumps(d)


async def test_unknown_route_and_method_in_error_shape(pos):
    r = await pos.get("/nothing")
    assert r.status_code == 404 and err(r)["code"] == "not_found"
    r = await pos.http.delete(pos.base + "/orders")
    assert r.status_code == 405 and err(r)["code"] == "method_not_allowed"


async def test_cancel_preview_then_confirm(pos):
    assert (await pos.post("/orders/NOPE/cancel", {"confirm": True})).status_code == 404
    await pos.post("/orders", payload())
    r = await pos.post("/orders/P1001/cancel", {"reason": "顾客取消"})
    assert r.status_code == 200
    assert r.json() == {**r.json(), "cancel_fee_fen": 0, "cancelled": False, "status": "new"}
    r = await pos.post("/orders/P1001/cancel", {"reason": "顾客取消", "confirm": True})
    assert r.status_code == 200
    assert r.json() == {**r.json(), "cancel_fee_fen": 0, "cancelled": True, "status": "cancelled"}
    d = (await pos.get("/orders/P1001")).json()
    assert d["status"] == "cancelled" and d["events"][-1]["actor"] == "pos"
    assert "顾客取消" in d["events"][-1]["message"]
    again = await pos.post("/orders/P1001/cancel", {"confirm": True})
    assert again.status_code == 200 and again.json()["cancelled"] is True


async def test_cancel_without_dispatcher_cancels_the_order_itself(pos):
    svc = pos.core.service
    await pos.post("/orders", payload())
    svc.dispatcher, dispatcher = None, svc.dispatcher
    try:
        r = await pos.post("/orders/P1001/cancel", {"reason": "缺货", "confirm": True})
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        d = (await pos.get("/orders/P1001")).json()
        assert d["status"] == "cancelled" and d["events"][-1]["message"] == "cancelled by POS: 缺货"
    finally:
        svc.dispatcher = dispatcher


async def test_cancel_refused_when_delivered_and_bad_args(pos):
    r = await pos.post("/orders", payload())
    svc = pos.core.service
    await svc.db.run(
        svc.db.set_order_state, r.json()["order_id"], OrderState.DELIVERED, svc.clock.now()
    )
    r = await pos.post("/orders/P1001/cancel", {"confirm": True})
    assert r.status_code == 409 and err(r)["code"] == "not_cancellable"
    r = await pos.post("/orders/P1001/cancel", {"confirm": "yes"})
    assert r.status_code == 422 and err(r)["field"] == "confirm"
    r = await pos.post("/orders/P1001/cancel", [1])
    assert r.status_code == 400


async def test_non_loopback_host_refused_without_allow_remote(tmp_path):
    from tests.helpers import started_core

    async with started_core(tmp_path) as core:
        core.service.settings = make_settings(tmp_path, pos={"host": "0.0.0.0", "port": 0})
        with pytest.raises(PosListenerError, match="allow_remote"):
            await core.pos_listener.start()


@pytest.mark.allow_warnings
async def test_non_loopback_host_with_allow_remote_logs_a_warning(tmp_path, caplog):
    from tests.helpers import started_core

    async with started_core(tmp_path) as core:
        core.service.settings = make_settings(
            tmp_path, pos={"host": "0.0.0.0", "port": 0, "allow_remote": True}
        )
        lis = core.pos_listener
        await lis.start()
        try:
            assert lis.port > 0
        finally:
            await lis.stop()
    warns = [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and "NON-LOOPBACK" in r.getMessage()
    ]
    assert warns


async def test_stop_lets_in_flight_orders_finish(pos):
    tasks = [
        asyncio.create_task(pos.post("/orders", payload(pos_order_id=f"F{i}"))) for i in range(20)
    ]
    await asyncio.sleep(0.05)
    rs = await asyncio.gather(*tasks)
    assert {r.status_code for r in rs} == {201}
    assert await pos.count_orders() == 20
