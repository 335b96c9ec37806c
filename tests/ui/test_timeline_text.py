"""The order timeline in the UI language: a platform cancel reads "平台已取消订单，取消费
¥0.00" (English: "Platform cancelled the order, cancel fee ¥0.00"), never the core's English
log line with "0 fen"; the dispatcher's own events (dispatch, tip, cancel, self delivery)
read the same way from their stored data, and old rows show their fen as yuan."""

from __future__ import annotations

import re

import pytest

from app.ui.detail.timeline import event_text
from tests.core.dispatch.support import add_order, eng, events
from tests.helpers import started_core

pytestmark = pytest.mark.gui

PLATFORM_LOG = "order cancelled: 平台已取消 (fees 0 fen)"


def test_platform_cancel_reads_chinese_with_yuan():
    data = {"fee_fen": 0, "cancel_reason": "平台已取消"}
    assert event_text("order_cancelled", "platform", PLATFORM_LOG, data) == (
        "平台已取消订单，取消费 ¥0.00"
    )
    # a row stored before the reason was a field: read from the message
    assert event_text("order_cancelled", "platform", PLATFORM_LOG, {"fee_fen": 0}) == (
        "平台已取消订单，取消费 ¥0.00"
    )
    refund = {"fee_fen": 350, "cancel_reason": "平台已退款"}
    assert event_text("order_cancelled", "platform", "x", refund) == (
        "平台已全额退款，订单已取消，取消费 ¥3.50"
    )
    typed = {"fee_fen": 1200, "cancel_reason": "顾客不要了"}
    assert event_text("order_cancelled", "cashier", "x", typed) == (
        "订单已取消（顾客不要了），取消费 ¥12.00"
    )


def test_platform_cancel_reads_english_in_the_english_ui(qapp):
    from app.ui.i18n import install_translators, remove_translators

    ts = install_translators(qapp, "en")
    try:
        data = {"fee_fen": 0, "cancel_reason": "平台已取消"}
        assert event_text("order_cancelled", "platform", PLATFORM_LOG, data) == (
            "Platform cancelled the order, cancel fee ¥0.00"
        )
        line = event_text("dispatched", "auto", "x", {"carrier": "shansong", "fee_fen": 1234})
        assert line == "Dispatched to Shansong (fee ¥12.34)"
    finally:
        remove_translators(qapp, ts)
        install_translators(qapp, "zh_CN")


def test_an_old_unknown_line_shows_fen_as_yuan():
    assert event_text("requoted", "engine", "dada quote expired; new quote 1250 fen", {}) == (
        "dada quote expired; new quote ¥12.50"
    )


@pytest.mark.asyncio
@pytest.mark.integration
async def test_dispatcher_events_read_in_chinese_without_fen(tmp_path):
    """A real dispatch, tip, self delivery and cancel through the sandboxes: every stored
    event renders without "fen" and without the core's English phrases."""
    async with started_core(tmp_path) as core:
        e = eng(core)
        oid = await add_order(core)
        await e.dispatch(oid, "shansong")
        await e.add_tip(oid, 200)
        await e.mark_self_delivered(oid)
        oid2 = await add_order(core)
        await e.dispatch(oid2, "shansong")
        await e.cancel(oid2, "平台已取消", actor="platform")
        lines = [
            event_text(x.kind, x.actor, x.message, x.data or {})
            for o in (oid, oid2)
            for x in await events(core, o)
        ]
    text = "\n".join(lines)
    assert "fen" not in text and not re.search(r"\b(order|cancelled|dispatched|tip)\b", text)
    assert "闪送 加小费 ¥2.00，小费合计 ¥2.00" in lines
    assert "自配送：由门店自己的骑手配送" in lines
    assert "平台已取消订单，取消费 ¥0.00" in lines
    assert any(x.startswith("已派单给 闪送（运费 ¥") for x in lines)
    assert any(x.startswith("闪送 取消配送（改为自配送）：已取消，取消费 ¥") for x in lines)


# (kind, data, the desk's stored Chinese message): the Chinese line is the desk's words
SOURCE_EVENTS = [
    ("source_cancel_requested", {"code": "refund", "label": "美团 #1"}, "美团 #1 顾客申请退款，请在平台处理"),
    ("source_cancel_requested", {"code": "cancel", "label": "美团 #1"}, "美团 #1 顾客申请取消，请在平台处理"),
    ("platform_cancelled", {"label": "美团 #2", "refunded": False, "code": "order_cancelled", "fee_fen": 0}, "美团 #2 平台已取消，订单已取消"),
    ("platform_cancelled", {"label": "美团 #2", "refunded": True, "code": "delivery_cancelled", "fee_fen": 300}, "美团 #2 平台已退款，配送已取消（取消费 ¥3.00）"),
    ("platform_cancelled", {"label": "美团 #2", "refunded": False, "code": "cancelling", "fee_preview_fen": None}, "美团 #2 平台已取消，正在取消配送（预计取消费 未知）"),
    ("platform_completed", {"label": "饿了么 #3"}, "饿了么 #3 平台订单已完成"),
    ("source_fulfilment", {"label": "饿了么 #3", "fulfilment": "pickup", "code": "to_platform", "live_attempt": True}, "饿了么 #3 平台改为到店自取，聚配不再派单；聚配的配送仍在进行，请确认是否取消"),
    ("source_confirmed", {"label": "美团 #4"}, "美团 #4 已接单"),
    ("source_rejected", {"label": "美团 #4", "reject_reason": "已售完"}, "美团 #4 已拒单：已售完"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "data", "stored"), SOURCE_EVENTS)
def test_source_events_read_as_the_desk_wrote_them(kind, data, stored):
    assert event_text(kind, "platform", stored, data) == stored


def test_source_events_read_english_in_the_english_ui(qapp):
    from app.ui.i18n import install_translators, remove_translators

    ts = install_translators(qapp, "en")
    try:
        lines = [event_text(k, "platform", m, d) for k, d, m in SOURCE_EVENTS]
    finally:
        remove_translators(qapp, ts)
        install_translators(qapp, "zh_CN")
    assert lines[0] == "美团 #1 Customer asks for a refund: handle it on the platform"
    assert lines[2] == "美团 #2 Platform cancelled, order cancelled"
    assert lines[3] == "美团 #2 Platform refunded, delivery cancelled (cancel fee ¥3.00)"
    assert lines[4] == "美团 #2 Platform cancelled, cancelling the delivery (expected fee unknown)"
    assert lines[6] == (
        "饿了么 #3 The platform switched to Pickup; JuPei no longer dispatches"
        "; JuPei's delivery is still running: decide whether to cancel it"
    )
    # only the platform's names and the shop's own words stay Chinese
    stripped = [re.sub(r"(美团|饿了么) #\d|已售完", "", x) for x in lines]
    assert not any(re.search(r"[\u4e00-\u9fff]", x) for x in stripped), stripped


def test_meituan_resend_reads_in_both_languages(qapp):
    """Issue 18 item 1: the resend that settles an unknown 美团配送 create has its line."""
    from app.ui.i18n import install_translators, remove_translators

    data = {"key": "JP1", "carrier": "meituan"}
    zh = event_text("resent", "engine", "meituan: create re-sent", data)
    assert zh is not None and "用同一单号重发" in zh and "美团" in zh
    ts = install_translators(qapp, "en")
    try:
        en = event_text("resent", "engine", "meituan: create re-sent", data)
        assert en is not None and "re-sent with the same key" in en and "Meituan" in en
    finally:
        remove_translators(qapp, ts)
        install_translators(qapp, "zh_CN")


def test_proof_of_delivery_reads_in_the_ui_language(qapp):
    from app.ui.i18n import install_translators, remove_translators

    data = {"attempt_id": 1, "carrier": "uber_direct", "type": "picture", "bytes": 70}
    assert event_text("proof_of_delivery", "uber_direct", "x", data) == (
        "Uber Direct 送达凭证：照片"
    )
    ts = install_translators(qapp, "en")
    try:
        assert event_text("proof_of_delivery", "uber_direct", "x", data) == (
            "Uber Direct proof of delivery: Photo"
        )
        sig = {**data, "type": "signature"}
        assert event_text("proof_of_delivery", "uber_direct", "x", sig).endswith("Signature")
    finally:
        remove_translators(qapp, ts)
        install_translators(qapp, "zh_CN")


def test_proof_of_delivery_is_drawn_in_the_detail(qapp):
    import base64

    from app.core.sandbox.uber_direct import PROOF_PNG
    from app.ui.detail.panel import proof_html

    png = base64.b64encode(PROOF_PNG).decode()
    line = proof_html({"type": "picture", "document": png, "bytes": 70}, "送达凭证")
    assert line.startswith("<b>送达凭证</b>: 照片 (1 KB)")
    assert f"src='data:image/png;base64,{png}'" in line
    pin = proof_html(
        {"type": "pincode", "document": base64.b64encode(b"1234").decode(), "bytes": 4}, "x"
    )
    assert "<img" not in pin and "收货码" in pin
