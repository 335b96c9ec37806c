"""客如云 golden tests: the signature worked examples of shared/sources/keruyun.md §3, the
wire of a status push, the delivery request as a source order, and push verification."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from app.core.domain.source_order import FulfilmentMode, PhoneKind, SourceOrderState
from app.core.domain.status import DeliveryStatus
from app.core.sources.base import PushKind, PushRejected, PushRequest, SyncBack
from app.core.sources.keruyun import RULES, mapping, push
from app.core.sources.keruyun.rules import KeruyunOptions

TOKEN = "66e53b22f1496d183e71b4ab90f4acf7"
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
CREDS = {"app_key": "301001", "shop_identy": "247900001", "token": TOKEN}


def test_v1_signature_reproduces_the_doc_example():
    system = {
        "appKey": "301001",
        "shopIdenty": "247900001",
        "timestamp": "1425635264",
        "version": "1.0",
    }
    assert mapping.sign_plaintext(system, TOKEN) == (
        "appKey301001shopIdenty247900001timestamp1425635264version1.0" + TOKEN
    )
    assert (
        mapping.sign(system, TOKEN)
        == "acb4355599742492518363653dd060b818ef7813284e823dcf5a61d722f27771"
    )


@pytest.mark.parametrize(
    ("body_key", "digest"),
    [
        (True, "5a699c212b03c0452c776302689c24e7f64638ff6c6f29fe7fbad1c281403417"),
        (False, "779d704132837f6fd93178a0eff9e70ce8e365321cb5874708a05bad96a44887"),
    ],
)
def test_v2_signature_both_readings_of_the_doc(body_key, digest):
    """The notes' hashes for the v2 doc inputs, with and without the literal 'body'."""
    system = {
        "appKey": "7857ca1808d370e2501290bc853eecdc",
        "shopIdenty": "810094162",
        "timestamp": "1528683797798",
        "version": "2.0",
    }
    assert mapping.sign(system, TOKEN, '{"aaa":1}', body_key=body_key) == digest


def test_v1_ignores_the_body_and_sign_is_never_signed():
    system = {"appKey": "1", "shopIdenty": "2", "timestamp": "3", "version": "1.0"}
    assert mapping.sign(system, TOKEN, '{"a":1}') == mapping.sign(system, TOKEN)
    assert mapping.sign({**system, "sign": "x"}, TOKEN) == mapping.sign(system, TOKEN)


@pytest.mark.parametrize(("unit", "digits"), [("s", 10), ("ms", 13)])
def test_request_wire_system_params_in_query_body_json(unit, digits):
    opts = KeruyunOptions(sign_version="2.0", timestamp_unit=unit)
    wire = mapping.build_request(
        "https://openapi.keruyun.com", mapping.STATUS_PUSH_PATH, {"orderId": "9"}, CREDS, opts, NOW
    )
    assert wire.url == "https://openapi.keruyun.com/open/v1/delivery/status/push"
    q = wire.query
    assert (q["appKey"], q["shopIdenty"], q["version"]) == ("301001", "247900001", "2.0")
    assert len(q["timestamp"]) == digits
    assert wire.body == b'{"orderId":"9"}'
    system = {k: v for k, v in q.items() if k != "sign"}
    assert q["sign"] == mapping.sign(system, TOKEN, wire.body.decode(), body_key=False)


def change(status: DeliveryStatus, rider: str = "李四") -> SyncBack:
    return SyncBack("7001", "jp-3-1", status, "dada", "DD77", rider, "13900000000", 31.2, 121.4)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (DeliveryStatus.ACCEPTED, 2),
        (DeliveryStatus.AT_PICKUP, 100),
        (DeliveryStatus.PICKED_UP, 3),
        (DeliveryStatus.AT_DROPOFF, 3),
        (DeliveryStatus.DELIVERED, 4),
        (DeliveryStatus.CANCELLED, 5),
    ],
)
def test_status_body_maps_our_states_with_rider_and_gcj02_point(ours, theirs):
    body = mapping.status_body(change(ours), KeruyunOptions())
    assert body is not None
    assert body["deliveryStatus"] == theirs
    assert body["orderId"] == "7001" and body["tpOrderId"] == "DD77" and body["bizType"] == 1
    assert (body["deliverer"], body["delivererPhone"]) == ("李四", "13900000000")
    assert (body["latitude"], body["longitude"]) == ("31.200000", "121.400000")
    assert ("cancelCode" in body) is (theirs == 5)


def test_cancel_before_any_rider_and_pending_carry_no_rider():
    body = mapping.status_body(change(DeliveryStatus.CANCELLED, rider=""), KeruyunOptions())
    assert body is not None and body["cancelCode"] == 1 and "deliverer" not in body
    pending = mapping.status_body(change(DeliveryStatus.PENDING_ACCEPT), KeruyunOptions())
    assert pending is not None and pending["deliveryStatus"] == 1 and "delivererId" not in pending
    reject = mapping.reject_body("7001", "太忙", KeruyunOptions())
    assert reject["deliveryStatus"] == 5 and reject["cancelCode"] == 3


def test_error_envelope():
    assert mapping.unwrap(b'{"code":0,"message":"ok","result":{"a":1}}') == {"a": 1}
    with pytest.raises(Exception) as e:
        mapping.unwrap('{"code":2003,"message":"订单不存在"}'.encode())
    assert type(e.value).__name__ == "SourceNotFoundError"
    with pytest.raises(Exception) as e:
        mapping.unwrap('{"code":1001,"message":"签名错误"}'.encode())
    assert type(e.value).__name__ == "SourceAuthError"


# ---------------------------------------------------------------------------- pushes
SAMPLE = {  # the 下发配送通知 fields of shared/sources/keruyun.md §4.1
    "serialNumber": "12",
    "shopIdenty": 247900001,
    "bizType": 1,
    "cityCode": "028",
    "orderId": 612000000000123456,
    "price": 5680,
    "isPaid": 1,
    "expectedTakeTime": "",
    "expectedDeliveredTime": int((NOW + timedelta(hours=3)).timestamp()),
    "consigneeName": "王",
    "consigneeSex": 1,
    "consigneePhone": "13812345678_1234",
    "consigneeAddr": "成都市武侯区天府大道100号",
    "addrLat": "30.547000",
    "addrLng": "104.065000",
    "remark": "少辣",
}


def signed(doc: dict, *, version: str = "1.0", ts: int | None = None, token: str = TOKEN):
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    system = {
        "appKey": "301001",
        "shopIdenty": "247900001",
        "timestamp": str(ts if ts is not None else int(NOW.timestamp())),
        "version": version,
    }
    system["sign"] = mapping.sign(system, token, body, body_key=False)
    return PushRequest("POST", "/x?" + urlencode(system), system, {}, body.encode())


def test_delivery_push_becomes_a_confirmed_self_delivery_order():
    result = push.parse("delivery", signed(SAMPLE), CREDS, KeruyunOptions(), NOW)
    assert json.loads(result.reply_body)["code"] == 0
    (ev,) = result.events
    assert ev.kind is PushKind.ORDER and ev.dedupe_key == "612000000000123456:delivery"
    o = ev.order
    assert o is not None and o.source_order_id == "612000000000123456"
    assert o.display_label() == "客如云 #12"
    assert o.state is SourceOrderState.CONFIRMED
    assert o.fulfilment is FulfilmentMode.SELF_DELIVERY
    assert o.money.paid_total_fen == 5680  # already fen
    assert o.recipient.name == "王(先生)"
    assert o.recipient.phones[0].kind is PhoneKind.VIRTUAL
    assert (o.recipient.lat, o.recipient.lng) == (30.547, 104.065)
    assert o.is_reservation and o.expected_delivery_at == NOW + timedelta(hours=3)


def test_unpaid_order_says_cash_on_delivery():
    doc = {**SAMPLE, "isPaid": 0, "expectedDeliveredTime": ""}
    (ev,) = push.parse("delivery", signed(doc), CREDS, KeruyunOptions(), NOW).events
    assert ev.order is not None and ev.order.money.paid_total_fen == 0
    assert "货到付款 ¥56.80" in ev.order.note and not ev.order.is_reservation


def test_v2_and_millisecond_pushes_are_verified_too():
    ms = int(NOW.timestamp() * 1000)
    result = push.parse(
        "delivery", signed(SAMPLE, version="2.0", ts=ms), CREDS, KeruyunOptions(), NOW
    )
    assert result.events[0].kind is PushKind.ORDER


def test_cancel_push_is_a_state_event():
    doc = {"orderId": 612000000000123456, "tpOrderId": "DD77", "deliveryStatus": 5, "cancelCode": 3}
    (ev,) = push.parse("status", signed(doc), CREDS, KeruyunOptions(), NOW).events
    assert ev.kind is PushKind.STATE and ev.state is SourceOrderState.CANCELLED
    assert ev.cancel_requested is True and ev.dedupe_key == "612000000000123456:5"


@pytest.mark.parametrize(
    "request_",
    [
        signed(SAMPLE, token="wrong"),
        signed(SAMPLE, ts=int(NOW.timestamp()) - 301),  # 300 s skew [✓]
        PushRequest("POST", "/x", {}, {}, json.dumps(SAMPLE).encode()),  # unsigned
    ],
)
def test_refused_pushes_get_an_error_reply(request_):
    with pytest.raises(PushRejected) as e:
        push.parse("delivery", request_, CREDS, KeruyunOptions(), NOW)
    assert json.loads(e.value.reply_body)["code"] != 0


def test_rules_list_every_assumption():
    assert RULES.push_kinds == push.KINDS == ("delivery", "status")
    assert set(RULES.default_options) == set(KeruyunOptions.__dataclass_fields__)
    assert len(RULES.unverified) >= 8 and RULES.secret_keys == ("token",)
    with pytest.raises(ValueError):
        KeruyunOptions.from_mapping({"timestamp_unit": "minutes"})


def test_a_hub_relay_verifies_with_the_token_alone_and_finds_the_store():
    """The hub keeps one secret per source (here 客如云's token) and no appKey."""
    from app.hub.relay import Relay
    from tests.fakes.clock import FakeClock

    relay = Relay({"keruyun": TOKEN}, FakeClock(NOW))
    cancel = {"orderId": 612000000000123456, "tpOrderId": "DD77", "deliveryStatus": 5}
    v = relay.verify("keruyun", "status", signed(cancel), "https://hub.example")
    assert v.store_ref == "247900001" and v.dedupe_key == "status|612000000000123456:5"
    with pytest.raises(PushRejected):
        relay.verify("keruyun", "status", signed(cancel, token="wrong"), "https://hub.example")
