"""美团外卖 golden tests: every worked signature example of shared/sources/meituan_waimai.md,
push verification and parsing of the documented payloads, and sync-back building."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

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
    SourceNotFoundError,
    SourceRateLimitedError,
    SourceRejectedError,
    SyncBack,
)
from app.core.sources.meituan import mapping, mtop, push
from app.core.sources.meituan.rules import MtWmOptions

DATA = Path(__file__).parents[2] / "data" / "sources" / "meituan"
OPTS = MtWmOptions()
CREDS = {"app_id": "1000", "app_secret": "mt_wm_secret", "app_poi_code": "S001"}
PUSH_BASE = "https://example.com/mt"


def paid_fields() -> dict[str, str]:
    doc = json.loads((DATA / "paid_order.json").read_text("utf-8"))
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def signed_push(kind: str, fields: dict[str, str], secret: str = "mt_wm_secret") -> PushRequest:
    sig = mapping.sign(f"{PUSH_BASE}/{kind}", fields, secret)
    body = urlencode({**fields, "sig": sig}).encode()
    return PushRequest("POST", f"/api/v1/sources/meituan/{kind}", {}, {}, body)


# ------------------------------------------------------------------ signatures
def test_doc_example_00934d00():
    params = {"app_id": "1235123121", "app_poi_codes": "31", "timestamp": "1389751221"}
    url = "http://waimaiopen.meituan.com/api/v1/poi/mget"
    secret = "d31ba58fd73c71db697ab5e4946d52d"
    assert mapping.sign_plaintext(url, params, secret) == (
        "http://waimaiopen.meituan.com/api/v1/poi/mget?app_id=1235123121&app_poi_codes=31"
        "&timestamp=1389751221d31ba58fd73c71db697ab5e4946d52d"
    )
    assert mapping.sign(url, params, secret) == "00934d00d0aea6f12161edfb6456143d"


def test_raw_chinese_example_95f7dc02():
    params = {"app_id": "0000", "app_poi_code": "31号测试店", "timestamp": "1389751221"}
    url = "https://waimaiopen.meituan.com/api/v1/order/getOrderDaySeq"
    got = mapping.sign(url, params, "864be81325af06a24a806277bb084701")
    assert got == "95f7dc02f936cdd293d3aa8ec881eaa4"


def test_dummy_confirm_request_is_golden():
    wire = mapping.build_confirm(
        "https://waimaiopen.meituan.com/api/v1/", "27061900338318741", CREDS, 1700000000
    )
    assert wire.method == "GET"
    assert wire.url == "https://waimaiopen.meituan.com/api/v1/order/confirm"
    assert wire.query == {
        "app_id": "1000",
        "timestamp": "1700000000",
        "order_id": "27061900338318741",
        "sig": "e979ce7e16d2a2cc17f28a4564aa9f30",
    }


def test_dummy_push_signature_d666c722():
    fields = {
        "app_id": "1000",
        "app_poi_code": "S001",
        "day_seq": "12",
        "order_id": "27061900338318741",
        "status": "2",
        "timestamp": "1700000100",
        "wm_order_id_view": "27061900338318741",
    }
    got = mapping.sign("https://example.com/mt/order", fields, "mt_wm_secret")
    assert got == "d666c722c3741fbe8992bcebcdf4ab86"
    assert (
        push.verify("https://example.com/mt/order", {**fields, "sig": got}, "mt_wm_secret", "once")
        == "once"
    )


def test_mtop_dummy_15107fb4():
    params = {
        "appAuthToken": "tok123",
        "biz": '{"orderId":27061900338318741}',
        "businessId": "16",
        "charset": "UTF-8",
        "developerId": "100000",
        "timestamp": "1700000000",
        "version": "2",
    }
    assert mtop.sign_plaintext("sk_dummy", params) == (
        'sk_dummyappAuthTokentok123biz{"orderId":27061900338318741}businessId16charsetUTF-8'
        "developerId100000timestamp1700000000version2"
    )
    assert mtop.sign("sk_dummy", params) == "15107fb4064ca4066a27d7daad1f2b774bf5ab8e"
    creds = {"developer_id": "100000", "app_auth_token": "tok123", "sign_key": "sk_dummy"}
    form = mtop.build_form({"orderId": 27061900338318741}, creds, 16, 1700000000)
    assert form["sign"] == "15107fb4064ca4066a27d7daad1f2b774bf5ab8e"
    mtop.verify_push(form, "sk_dummy")
    with pytest.raises(PushRejected):
        mtop.verify_push({**form, "biz": "{}"}, "sk_dummy")


def test_post_keeps_sig_in_query_and_business_in_form():
    wire = mapping.build_call(
        "https://h/api/v1", "x/y", {"a": "1", "empty": ""}, CREDS, 1, method="POST"
    )
    assert wire.url == "https://h/api/v1/x/y"
    assert set(wire.query) == {"app_id", "timestamp", "sig"}
    assert wire.form == {"a": "1"}  # empty params are never sent
    assert wire.query["sig"] == mapping.sign(wire.url, {**wire.query, **wire.form}, "mt_wm_secret")


# ------------------------------------------------------------------ pushes
def test_paid_order_push_is_parsed_in_fen_with_text_ids():
    res = push.parse("order", signed_push("order", paid_fields()), CREDS, OPTS, PUSH_BASE)
    assert res.reply_status == 200 and res.reply_body == b'{"data":"ok"}'
    (ev,) = res.events
    assert ev.kind is PushKind.ORDER
    assert ev.dedupe_key == "27061900338318741:order:2:1764561605"
    o = ev.order
    assert o is not None
    assert o.source_order_id == "27061900338318741"
    assert o.display_no == 12 and o.display_label() == "美团 #12"
    assert o.state is SourceOrderState.NEW
    assert o.fulfilment is FulfilmentMode.SELF_DELIVERY
    assert o.money.paid_total_fen == 3850
    assert o.money.original_total_fen == 4500
    assert o.money.delivery_fee_fen == 500
    assert o.money.packaging_fee_fen == 150  # already fen
    assert o.money.merchant_receivable_fen == 3120
    assert o.money.platform_fee_fen == 430
    assert (o.money.discount_merchant_fen, o.money.discount_platform_fen) == (450, 200)
    assert [(i.name, i.qty, i.unit_price_fen, i.basket) for i in o.items] == [
        ("宫保鸡丁", 2, 1600, 0),
        ("米饭", 1, 201, 1),  # 2.005 yuan, half-up
    ]
    r = o.recipient
    assert r.address == "建国路88号SOHO现代城A座1201"
    assert r.address_geocoded == "北京市朝阳区建国路88号"
    assert (r.lat, r.lng) == (39.9075, 116.46)  # x1e6 detected
    assert [(p.number, p.kind) for p in r.phones] == [
        ("13812345678_1234", PhoneKind.VIRTUAL),
        ("13812345679_5678", PhoneKind.VIRTUAL),
    ]
    assert o.created_at == datetime(2025, 12, 1, 4, 0, tzinfo=UTC)
    assert o.expected_delivery_at is None and not o.is_reservation
    assert o.raw_payload["order_id"] == "27061900338318741"


def test_plain_degree_coordinates_and_platform_delivery_and_pickup():
    f = {**paid_fields(), "latitude": "29.77389", "longitude": "95.36876", "logistics_code": "1001"}
    o = mapping.parse_order(f, OPTS)
    assert (o.recipient.lat, o.recipient.lng) == (29.77389, 95.36876)
    assert o.fulfilment is FulfilmentMode.PLATFORM_DELIVERY
    assert mapping.parse_order({**f, "pick_type": "1"}, OPTS).fulfilment is FulfilmentMode.PICKUP
    reservation = mapping.parse_order({**f, "delivery_time": "1764570000"}, OPTS)
    assert reservation.is_reservation and reservation.expected_delivery_at is not None


def test_degraded_and_double_encoded_sub_documents():
    f = paid_fields()
    f["detail"] = quote(f["detail"])  # F's dump: still percent-encoded after one decode
    f["incmp_code"] = "-1"
    o = mapping.parse_order(f, OPTS)
    assert o.data_degraded
    assert o.items[0].name == "宫保鸡丁"


def test_sig_over_fully_decoded_values_is_found_by_the_fallback():
    fields = {"order_id": "1", "detail": "%5B%5D", "timestamp": "1"}
    decoded = {"order_id": "1", "detail": "[]", "timestamp": "1"}
    url = f"{PUSH_BASE}/order"
    sig = mapping.sign(url, decoded, "mt_wm_secret")
    assert push.verify(url, {**fields, "sig": sig}, "mt_wm_secret", "once_then_full") == "full"
    with pytest.raises(PushRejected):
        push.verify(url, {**fields, "sig": sig}, "mt_wm_secret", "once")


def test_bad_sig_is_refused_with_the_error_reply():
    req = signed_push("order", paid_fields(), secret="wrong")
    with pytest.raises(PushRejected) as e:
        push.parse("order", req, CREDS, OPTS, PUSH_BASE)
    assert e.value.reply_status == 400
    assert json.loads(e.value.reply_body)["data"] == "ng"


def test_push_signed_for_another_kind_url_is_refused():
    req = signed_push("confirm", paid_fields())
    with pytest.raises(PushRejected):
        push.parse("order", req, CREDS, OPTS, PUSH_BASE)


def test_heartbeat_is_answered_ok():
    res = push.parse("order", PushRequest("POST", "/", {}, {}, b""), CREDS, OPTS, PUSH_BASE)
    assert res.events[0].kind is PushKind.HEARTBEAT
    assert res.reply_body == b'{"data":"ok"}'


def test_cancel_and_refund_pushes():
    cancel = {
        "order_id": "27061900338318741",
        "reason_code": "1102",
        "reason": "用户取消",
        "deal_op_type": "1",
        "app_id": "1000",
        "timestamp": "1",
    }
    (ev,) = push.parse("cancel", signed_push("cancel", cancel), CREDS, OPTS, PUSH_BASE).events
    assert (ev.kind, ev.state, ev.cancel_requested) == (
        PushKind.STATE,
        SourceOrderState.CANCELLED,
        True,
    )
    apply = {
        "order_id": "2",
        "notify_type": "apply",
        "refund_id": "9",
        "app_id": "1000",
        "timestamp": "1",
    }
    (ev,) = push.parse("refund", signed_push("refund", apply), CREDS, OPTS, PUSH_BASE).events
    assert (ev.state, ev.refund_state) == (None, RefundState.APPLIED)
    agree = {**apply, "notify_type": "agree"}
    (ev,) = push.parse("refund", signed_push("refund", agree), CREDS, OPTS, PUSH_BASE).events
    assert (ev.state, ev.refund_state) == (SourceOrderState.CANCELLED, RefundState.FULL)
    partial = {
        "order_id": "2",
        "refund_id": "10",
        "refund_status": "13",
        "money": "3.5",
        "app_id": "1000",
        "timestamp": "1",
    }
    (ev,) = push.parse("refund", signed_push("refund", partial), CREDS, OPTS, PUSH_BASE).events
    assert ev.refund_state is RefundState.PARTIAL
    assert ev.dedupe_key == "2:refund:10:13"


def test_status_push_is_a_platform_delivery_event():
    f = {
        "order_id": "3",
        "logistics_status": "20",
        "time": "5",
        "dispatcher_name": "王",
        "dispatcher_mobile": "13800000000_11",
        "app_id": "1000",
        "timestamp": "1",
    }
    (ev,) = push.parse("status", signed_push("status", f), CREDS, OPTS, PUSH_BASE).events
    assert (ev.kind, ev.raw_type) == (PushKind.DELIVERY, "20")
    assert ev.fulfilment is FulfilmentMode.PLATFORM_DELIVERY
    assert ev.platform_status is DeliveryStatus.PICKED_UP


def test_unknown_kind_is_refused():
    with pytest.raises(PushRejected):
        push.parse("nope", signed_push("nope", {"order_id": "1"}), CREDS, OPTS, PUSH_BASE)


# ------------------------------------------------------------------ sync-back
def change(status: DeliveryStatus, **kw: object) -> SyncBack:
    base: dict[str, object] = {
        "source_order_id": "27061900338318741",
        "attempt_id": "jp-41-1",
        "status": status,
        "carrier": "dada",
        "carrier_order_id": "DD123",
        "rider_name": "李四",
        "rider_phone": "13900000000",
        "lat": 39.9087,
        "lng": 116.3975,
    }
    base.update(kw)
    return SyncBack(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (DeliveryStatus.ACCEPTED, 10),
        (DeliveryStatus.AT_PICKUP, 15),
        (DeliveryStatus.PICKED_UP, 20),
        (DeliveryStatus.DELIVERED, 40),
        (DeliveryStatus.CANCELLED, 100),
    ],
)
def test_logistics_sync_request(status: DeliveryStatus, code: int):
    wire = mapping.build_sync(
        "https://waimaiopen.meituan.com/api/v1/", change(status), CREDS, OPTS, 1700000000
    )
    assert wire is not None
    assert wire.method == "POST"
    assert wire.url == "https://waimaiopen.meituan.com/api/v1/ecommerce/order/logistics/sync"
    assert wire.form == {
        "order_id": "27061900338318741",
        "third_carrier_order_id": "DD123",
        "courier_name": "李四",
        "courier_phone": "13900000000",
        "logistics_provider_code": "10002",
        "logistics_status": str(code),
        "latitude": "39.908700",
        "longitude": "116.397500",
    }
    plain = mapping.sign_plaintext(wire.url, {**wire.query, **wire.form}, "mt_wm_secret")
    assert plain.startswith(
        "https://waimaiopen.meituan.com/api/v1/ecommerce/order/logistics/sync?app_id=1000"
        "&courier_name=李四&courier_phone=13900000000&latitude=39.908700"
    )
    assert wire.query["sig"] == mapping.sign(wire.url, {**wire.query, **wire.form}, "mt_wm_secret")


def test_sync_without_rider_or_point():
    assert (
        mapping.build_sync(
            "https://h/", change(DeliveryStatus.PENDING_ACCEPT, rider_phone=""), CREDS, OPTS, 1
        )
        is None
    )
    unknown_carrier = mapping.build_sync(
        "https://h/",
        change(DeliveryStatus.ACCEPTED, carrier="zz", carrier_order_id=""),
        CREDS,
        OPTS,
        1,
    )
    assert unknown_carrier is not None
    assert unknown_carrier.form["logistics_provider_code"] == "10017"
    assert unknown_carrier.form["third_carrier_order_id"] == "jp-41-1"
    with pytest.raises(SourceRejectedError):
        mapping.build_sync("https://h/", change(DeliveryStatus.ACCEPTED, lat=None), CREDS, OPTS, 1)


def test_delivering_arrived_fallback():
    opts = MtWmOptions.from_mapping({"sync_api": "delivering_arrived"})
    w = mapping.build_sync("https://h/", change(DeliveryStatus.PICKED_UP), CREDS, opts, 1)
    assert w is not None and w.url == "https://h/order/delivering" and w.method == "GET"
    w = mapping.build_sync("https://h/", change(DeliveryStatus.DELIVERED), CREDS, opts, 1)
    assert w is not None and w.url == "https://h/order/arrived"
    assert mapping.build_sync("https://h/", change(DeliveryStatus.ACCEPTED), CREDS, opts, 1) is None


def test_mtop_rider_position_biz():
    biz = mtop.rider_position_biz(
        change(DeliveryStatus.PICKED_UP, rider_phone="13900000000_12"), 1700000000
    )
    assert biz["orderId"] == 27061900338318741
    assert (biz["logisticsStatus"], biz["thirdLogisticsId"], biz["courierPhoneType"]) == (
        20,
        10002,
        1,
    )


# ------------------------------------------------------------------ responses
def test_unwrap_maps_errors():
    assert mapping.unwrap(b'{"data":"ok"}') == "ok"
    with pytest.raises(SourceAuthError):
        mapping.unwrap(b'{"data":"ng","error":{"code":703,"msg":"sig error"}}')
    with pytest.raises(SourceRateLimitedError):
        mapping.unwrap(b'{"data":"ng","error":{"code":711,"msg":"x"}}')
    with pytest.raises(SourceNotFoundError):
        mapping.unwrap('{"data":"ng","error":{"code":1,"msg":"订单不存在"}}'.encode())
    with pytest.raises(SourceRejectedError):
        mapping.unwrap(b"<html>")


# ------------------------------------------------------------------ properties
@given(
    order_id=st.integers(min_value=1, max_value=2**63 - 1),
    day_seq=st.integers(min_value=1, max_value=9999),
    total_fen=st.integers(min_value=0, max_value=10**7),
    lat=st.floats(min_value=18, max_value=53, allow_nan=False),
)
def test_parser_keeps_ids_text_and_money_exact(
    order_id: int, day_seq: int, total_fen: int, lat: float
):
    f = {
        **paid_fields(),
        "order_id": str(order_id),
        "day_seq": str(day_seq),
        "total": f"{total_fen // 100}.{total_fen % 100:02d}",
        "latitude": repr(lat),
    }
    o = mapping.parse_order(f, OPTS)
    assert o.source_order_id == str(order_id)
    assert o.display_no == day_seq
    assert o.money.paid_total_fen == total_fen
    assert o.recipient.lat == lat
    # a JSON detail answer with an int id parses the same
    assert mapping.parse_order({**f, "order_id": order_id}, OPTS).source_order_id == str(order_id)
