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
        assert line == "Dispatched to 闪送 (fee ¥12.34)"
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
