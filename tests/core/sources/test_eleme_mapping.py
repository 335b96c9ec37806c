"""饿了么 golden tests: the request and push worked examples of shared/sources/eleme.md,
the envelope, push parsing (19-digit ids as text, fen, daySn) and self-delivery sync."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.domain.source_order import (
    FulfilmentMode,
    PhoneKind,
    RefundState,
    SourceOrderState,
)
from app.core.domain.status import DeliveryStatus
from app.core.sources.base import (
    PushKind,
    PushRejected,
    PushRequest,
    SourceAuthError,
    SourceRateLimitedError,
    SourceRejectedError,
    SourceUnavailableError,
    SyncBack,
)
from app.core.sources.eleme import mapping, push
from app.core.sources.eleme.rules import ElemeOptions

DATA = Path(__file__).parents[2] / "data" / "sources" / "eleme"
OPTS = ElemeOptions()
CREDS = {
    "app_key": "key_abc",
    "app_secret": "sec_abc",
    "access_token": "tok_abc",
    "shop_id": "720032",
}


def message_doc(order: dict | None = None, **kw: object) -> dict:
    doc = json.loads((DATA / "new_order_message.json").read_text("utf-8"))
    body = order if order is not None else doc.pop("order")
    doc.pop("order", None)
    doc.pop("_comment")
    doc["message"] = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    doc.update(kw)
    doc["signature"] = push.sign(doc, "sec_abc")
    return doc


def request_of(doc: dict) -> PushRequest:
    return PushRequest(
        "POST", "/api/v1/sources/eleme/push", {}, {}, json.dumps(doc, ensure_ascii=False).encode()
    )


# ------------------------------------------------------------------ signatures
def test_request_example_5A4F4BE9():
    metas = {"app_key": "key_abc", "timestamp": 1700000000}
    params = {"orderId": "3000000123456789012"}
    args = ("eleme.order.confirmOrderLite", "tok_abc", metas, params, "sec_abc")
    assert mapping.sign_plaintext(*args) == (
        'eleme.order.confirmOrderLitetok_abcapp_key="key_abc"orderId="3000000123456789012"'
        "timestamp=1700000000sec_abc"
    )
    assert mapping.sign(*args) == "5A4F4BE9B765FAE3F4209061C53E320F"


def test_envelope_is_golden():
    body = mapping.build_request(
        "eleme.order.confirmOrderLite",
        {"orderId": "3000000123456789012"},
        CREDS,
        1700000000,
        "ABC|1700000000000",
    )
    assert json.loads(body) == {
        "nop": "1.0.0",
        "id": "ABC|1700000000000",
        "action": "eleme.order.confirmOrderLite",
        "token": "tok_abc",
        "metas": {"app_key": "key_abc", "timestamp": 1700000000},
        "params": {"orderId": "3000000123456789012"},
        "signature": "5A4F4BE9B765FAE3F4209061C53E320F",
    }
    empty = json.loads(
        mapping.build_request("eleme.msgNew.getPushFailMsg", {}, CREDS, 1, "X", token="")
    )
    assert empty["params"] == {} and empty["token"] == ""


def test_push_example_C8EDFBF9():
    doc = {
        "requestId": "100000021764401594",
        "type": 10,
        "appId": 22954133,
        "shopId": 720032,
        "timestamp": 1488774535366,
        "userId": 98587250597500702,
        "message": '{"id":"1200897812792015983","orderId":"1200897812792015983","daySn":7}',
    }
    assert push.sign_plaintext(doc, "sec_abc") == (
        'appId=22954133message={"id":"1200897812792015983","orderId":"1200897812792015983",'
        '"daySn":7}requestId=100000021764401594shopId=720032timestamp=1488774535366type=10'
        "userId=98587250597500702sec_abc"
    )
    assert push.sign(doc, "sec_abc") == "C8EDFBF924DF03487E25C9504FB58A40"
    push.verify({**doc, "signature": "c8edfbf924df03487e25c9504fb58a40"}, "sec_abc")  # any case


# ------------------------------------------------------------------ pushes
def test_new_order_push_is_parsed():
    res = push.parse("push", request_of(message_doc()), CREDS, OPTS)
    assert (res.reply_status, res.reply_body) == (200, b'{"message":"ok"}')
    (ev,) = res.events
    assert (ev.kind, ev.dedupe_key) == (PushKind.ORDER, "100000021764401594")
    o = ev.order
    assert o is not None
    assert o.source_order_id == "1200897812792015983"
    assert o.source_store_ref == "720032"
    assert o.display_label() == "饿了么 #7"
    assert o.state is SourceOrderState.NEW
    assert o.fulfilment is FulfilmentMode.SELF_DELIVERY
    assert o.money.paid_total_fen == 4230
    assert (o.money.delivery_fee_fen, o.money.packaging_fee_fen) == (400, 100)
    assert (o.money.discount_merchant_fen, o.money.discount_platform_fen) == (350, 420)
    assert o.money.merchant_receivable_fen == 3375
    assert (o.recipient.lat, o.recipient.lng) == (39.989410, 116.480881)  # lng,lat on the wire
    (phone,) = o.recipient.phones
    assert (phone.number, phone.kind) == ("13800001111,5678", PhoneKind.VIRTUAL)
    assert phone.expires_at == datetime(2026, 12, 1, 15, 59, 59, tzinfo=UTC)
    assert o.created_at == datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # GMT+8 local on the wire
    assert [(i.name, i.qty, i.unit_price_fen, i.spec, i.basket) for i in o.items] == [
        ("牛肉面", 2, 2250, "大碗", 0),
        ("餐盒", 1, 100, "", 1),
    ]
    assert o.note == "不要香菜"


def test_bad_signature_changes_nothing():
    doc = message_doc()
    doc["signature"] = "0" * 32
    with pytest.raises(PushRejected) as e:
        push.parse("push", request_of(doc), CREDS, OPTS)
    assert e.value.reply_status == 403
    tampered = message_doc()
    tampered["shopId"] = 1
    with pytest.raises(PushRejected):
        push.parse("push", request_of(tampered), CREDS, OPTS)


def test_empty_body_is_the_url_check():
    res = push.parse("push", PushRequest("POST", "/", {}, {}, b""), CREDS, OPTS)
    assert res.events[0].kind is PushKind.HEARTBEAT
    assert res.reply_body == b'{"message":"ok"}'


@pytest.mark.parametrize(
    ("mtype", "state", "cancel", "refund"),
    [
        (12, SourceOrderState.CONFIRMED, None, None),
        (14, SourceOrderState.CANCELLED, True, None),
        (17, SourceOrderState.CANCELLED, True, None),
        (18, SourceOrderState.COMPLETED, None, None),
        (20, None, True, None),
        (21, None, False, None),
        (23, SourceOrderState.CANCELLED, True, None),
        (30, None, None, RefundState.APPLIED),
        (33, SourceOrderState.CANCELLED, None, RefundState.FULL),
        (36, None, None, RefundState.REJECTED),
    ],
)
def test_state_messages(mtype, state, cancel, refund):
    body = {"orderId": "1200897812792015983", "state": "x", "updateTime": 1}
    (ev,) = push.parse("push", request_of(message_doc(body, type=mtype)), CREDS, OPTS).events
    assert (ev.kind, ev.source_order_id) == (PushKind.STATE, "1200897812792015983")
    assert (ev.state, ev.cancel_requested, ev.refund_state) == (state, cancel, refund)


def test_delivery_and_other_messages():
    body = {"orderId": "1200897812792015983", "state": "selfDelivery", "subState": "noSubstate"}
    (ev,) = push.parse("push", request_of(message_doc(body, type=71)), CREDS, OPTS).events
    assert (ev.kind, ev.raw_type) == (PushKind.DELIVERY, "71")
    assert ev.fulfilment is FulfilmentMode.SELF_DELIVERY
    body = {"orderId": "1200897812792015983", "state": "delivering", "subState": "x"}
    (ev,) = push.parse("push", request_of(message_doc(body, type=55)), CREDS, OPTS).events
    assert ev.fulfilment is FulfilmentMode.PLATFORM_DELIVERY
    assert ev.platform_status is DeliveryStatus.PICKED_UP
    (ev,) = push.parse("push", request_of(message_doc(body, type=60)), CREDS, OPTS).events
    assert (ev.kind, ev.fulfilment) == (PushKind.DELIVERY, None)  # a failure says nothing
    assert ev.platform_status is DeliveryStatus.CANCELLED  # ... but the rider is gone
    (ev,) = push.parse("push", request_of(message_doc({"x": 1}, type=100)), CREDS, OPTS).events
    assert ev.kind is PushKind.OTHER


# ------------------------------------------------------------------ sync-back
def change(status: DeliveryStatus, **kw: object) -> SyncBack:
    base: dict[str, object] = {
        "source_order_id": "1200897812792015983",
        "attempt_id": "jp-7-1",
        "status": status,
        "carrier": "dada",
        "rider_name": "李四",
        "rider_phone": "13900000000",
        "lat": 39.9,
        "lng": 116.4,
        "at": datetime(2026, 12, 1, 4, 10, tzinfo=UTC),
    }
    base.update(kw)
    return SyncBack(**base)  # type: ignore[arg-type]


def test_picked_up_sends_start_state_and_location_in_order():
    calls = mapping.sync_calls(change(DeliveryStatus.PICKED_UP), "720032", OPTS, "达达")
    assert [c.action for c in calls] == [
        "eleme.order.startDeliveryBySelf",
        "eleme.order.selfDeliveryStateSync",
        "eleme.order.selfDeliveryLocationSync",
    ]
    assert calls[0].params == {"orderId": "1200897812792015983", "phone": "13900000000"}
    assert calls[1].params == {
        "shopId": 720032,
        "stateInfo": {
            "orderId": "1200897812792015983",
            "distributorId": 201,
            "knight": {"id": "", "name": "李四", "phone": "13900000000"},
            "state": "DELIVERY_START",
            "deliveryCompanyName": "达达",
        },
    }
    assert calls[2].params == {
        "shopId": 720032,
        "orderId": "1200897812792015983",
        "locationInfo": {"latitude": 39.9, "longitude": 116.4, "altitude": 0, "utc": 1796098200},
    }


def test_delivered_accepted_and_cancelled():
    done = mapping.sync_calls(change(DeliveryStatus.DELIVERED), "720032", OPTS)
    assert [c.action for c in done] == [
        "eleme.order.completeDeliveryBySelf",
        "eleme.order.selfDeliveryStateSync",
    ]
    assert done[1].params["stateInfo"]["state"] == "DELIVERY_COMPLETE"  # type: ignore[index]
    assert mapping.sync_calls(change(DeliveryStatus.ACCEPTED), "720032", OPTS) == []
    opts = ElemeOptions.from_mapping({"accept_state": "DELIVERY_ACCEPT", "state_sync": "true"})
    (acc,) = mapping.sync_calls(change(DeliveryStatus.ACCEPTED), "720032", opts)
    assert acc.params["stateInfo"]["state"] == "DELIVERY_ACCEPT"  # type: ignore[index]
    assert mapping.sync_calls(change(DeliveryStatus.CANCELLED), "720032", OPTS) == []
    lean = ElemeOptions.from_mapping({"state_sync": False, "location_sync": "off"})
    assert [
        c.action for c in mapping.sync_calls(change(DeliveryStatus.PICKED_UP), "720032", lean)
    ] == ["eleme.order.startDeliveryBySelf"]


# ------------------------------------------------------------------ responses
def test_unwrap_maps_errors():
    assert mapping.unwrap(b'{"id":"1","result":{"a":1},"error":null}') == {"a": 1}
    for code, kind in [
        ("UNAUTHORIZED", SourceAuthError),
        ("INVALID_SIGNATURE", SourceAuthError),
        ("EXCEED_LIMIT", SourceRateLimitedError),
        ("SERVER_ERROR", SourceUnavailableError),
        ("BIZ_ERROR", SourceRejectedError),
    ]:
        with pytest.raises(kind):
            mapping.unwrap(json.dumps({"error": {"code": code, "message": "m"}}).encode())


# ------------------------------------------------------------------ properties
@given(
    oid=st.integers(min_value=10**18, max_value=10**19 - 1),
    day_sn=st.integers(min_value=1, max_value=9999),
    fen=st.integers(min_value=0, max_value=10**7),
)
def test_parser_19_digit_ids_and_money(oid: int, day_sn: int, fen: int):
    order = json.loads((DATA / "new_order_message.json").read_text("utf-8"))["order"]
    order.update(id=str(oid), orderId=str(oid), daySn=day_sn, totalPrice=fen / 100)
    doc = message_doc(order)
    # the body goes over the wire and back: ids stay exact text
    (ev,) = push.parse("push", request_of(doc), CREDS, OPTS).events
    assert ev.order is not None
    assert ev.order.source_order_id == str(oid)
    assert ev.order.display_no == day_sn
    assert ev.order.money.paid_total_fen == fen
    # an integer id in a JSON answer is never rounded either
    assert mapping.parse_order({**order, "id": oid}, OPTS).source_order_id == str(oid)
