"""哗啦啦 golden tests: the v3 signature vector of shared/sources/hualala.md §2, the form
wire with its headers, and the ASSUMED order and status documents."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import pytest

from app.core.domain.source_order import FulfilmentMode, PhoneKind, SourceOrderState
from app.core.domain.status import DeliveryStatus
from app.core.sources.base import PushRejected, PushRequest, SyncBack
from app.core.sources.hualala import RULES, Connector, mapping, push
from app.core.sources.hualala.rules import HualalaOptions

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
CREDS = {"app_key": "1001key", "app_secret": "secretXYZ", "group_id": "1001", "shop_id": "2002"}


def test_v3_signature_reproduces_the_notes_vector():
    body = '{"groupID":1001,"shopID":2002,"orderKey":"K1"}'
    assert mapping.sign_plaintext("1001key", "secretXYZ", "1700000000000", body) == (
        "1001keysecretXYZ1700000000000" + body
    )
    assert mapping.sign("1001key", "secretXYZ", "1700000000000", body) == (
        "4457b49d6b071ea0f67bc14cc92a4d78"
    )


def test_request_wire_is_a_signed_form_with_group_and_shop_headers():
    wire = mapping.build_request(
        "https://www-openapi.hualala.com",
        mapping.QUERY_ORDER,
        mapping.detail_body(CREDS, "K1"),
        CREDS,
        datetime.fromtimestamp(1_700_000_000, UTC),
        trace_id="t-1",
    )
    assert wire.url == "https://www-openapi.hualala.com/order/queryOrder"
    form = dict(parse_qsl(wire.body.decode()))
    assert form == {
        "timestamp": "1700000000000",  # ms
        "appKey": "1001key",
        "version": "3",
        "signature": "4457b49d6b071ea0f67bc14cc92a4d78",
        "requestBody": '{"groupID":1001,"shopID":2002,"orderKey":"K1"}',
    }
    assert wire.headers == {"traceID": "t-1", "groupID": "1001", "shopID": "2002"}


DOC = {
    "orderKey": "H20261201000000001",
    "shopID": 2002,
    "serialNumber": "7",
    "orderStatus": 10,
    "orderTime": 1764561600000,
    "pickUpType": 1,
    "receiverName": "赵女士",
    "receiverPhone": "13700001111_5678",
    "receiverAddress": "上海市静安区南京西路1000号",
    "receiverLatitude": "31.230000",
    "receiverLongitude": "121.470000",
    "orderActualAmount": "68.50",
    "shipFee": "5.00",
    "orderRemark": "多放葱",
    "foodList": [{"foodName": "小笼包", "foodNumber": 2, "foodPrice": "31.75"}],
}


def test_order_document_as_assumed():
    o = mapping.parse_order(DOC, HualalaOptions())
    assert o.source_order_id == "H20261201000000001" and o.display_label() == "哗啦啦 #7"
    assert o.state is SourceOrderState.NEW and o.fulfilment is FulfilmentMode.SELF_DELIVERY
    assert o.money.paid_total_fen == 6850 and o.money.delivery_fee_fen == 500
    assert o.items[0].unit_price_fen == 3175 and o.items[0].qty == 2
    assert o.recipient.phones[0].kind is PhoneKind.VIRTUAL
    assert (o.recipient.lat, o.recipient.lng) == (31.23, 121.47)
    assert o.created_at == datetime.fromtimestamp(1764561600, UTC)


def test_options_change_units_coordinates_states_and_pickup():
    opts = HualalaOptions.from_mapping(
        {"money_unit": "fen", "coord_system": "bd09", "order_states": {"10": "confirmed"}}
    )
    o = mapping.parse_order({**DOC, "orderActualAmount": 6850, "pickUpType": 2}, opts)
    assert o.money.paid_total_fen == 6850 and o.state is SourceOrderState.CONFIRMED
    assert o.fulfilment is FulfilmentMode.PICKUP  # pickup_types "2"
    assert o.recipient.lat is not None and abs(o.recipient.lat - 31.23) > 0.001  # BD-09 -> GCJ-02
    cancelled = mapping.parse_order({**DOC, "orderStatus": 50}, HualalaOptions())
    assert cancelled.state is SourceOrderState.CANCELLED and cancelled.cancel_requested
    with pytest.raises(ValueError):
        HualalaOptions.from_mapping({"order_states": {"10": "eaten"}})


@pytest.mark.parametrize(
    ("ours", "value"),
    [
        (DeliveryStatus.ACCEPTED, 21),
        (DeliveryStatus.AT_PICKUP, 22),
        (DeliveryStatus.PICKED_UP, 30),
        (DeliveryStatus.AT_DROPOFF, 30),
        (DeliveryStatus.DELIVERED, 40),
        (DeliveryStatus.CANCELLED, 51),
    ],
)
def test_status_body_with_shipper_info(ours, value):
    change = SyncBack("H1", "jp-1-1", ours, "dada", "DD1", "李四", "13900000000")
    body = mapping.status_body(change, CREDS, HualalaOptions())
    assert body is not None and body["thirdPartyStatus"] == value
    assert body["groupID"] == 1001 and body["shopID"] == 2002 and body["orderKey"] == "H1"
    shipper = body["shipperInfoVo"]
    assert isinstance(shipper, dict)
    assert (shipper["shipperName"], shipper["shipperPhone"], shipper["statusCode"]) == (
        "李四",
        "13900000000",
        value,
    )
    pending = SyncBack("H1", "jp-1-1", DeliveryStatus.PENDING_ACCEPT, "dada")
    assert mapping.status_body(pending, CREDS, HualalaOptions()) is None


def test_answer_envelope_and_errors():
    opts = HualalaOptions()
    assert mapping.unwrap(b'{"code":"000","message":"ok","data":{"a":1}}', opts) == {"a": 1}
    for message, kind in [
        ("签名错误", "SourceAuthError"),
        ("订单不存在", "SourceNotFoundError"),
        ("调用过于频繁", "SourceRateLimitedError"),
        ("别的", "SourceRejectedError"),
    ]:
        with pytest.raises(Exception) as e:
            mapping.unwrap(json.dumps({"code": "1", "message": message}).encode(), opts)
        assert type(e.value).__name__ == kind


def test_no_push_scheme_and_every_assumption_listed():
    assert RULES.push_kinds == push.KINDS == ()
    conn = Connector.__new__(Connector)
    with pytest.raises(PushRejected) as e:
        conn.parse_push("order", PushRequest("POST", "/", {}, {}, b"{}"))
    assert e.value.reply_status == 404
    assert len(RULES.unverified) >= 10
    assert set(RULES.default_options) == set(HualalaOptions.__dataclass_fields__)
