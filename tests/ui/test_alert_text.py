"""What the cashier reads on an alert: the kind and the pickup number in the UI language,
never the core's log text (which is English and names internal ids)."""

from __future__ import annotations

from app.core.alerts import AlertRules
from app.core.domain.attention import AttentionReason
from app.core.events import AlertKind, AlertRaised, EventBus, OrderReceived
from app.ui.labels import alert_text


def test_new_order_reads_kind_and_pickup_number():
    assert alert_text("new_order", "new order SIM-1", order="A008") == "新订单 #A008"


def test_attention_reads_its_reason():
    text = alert_text("attention", "x", order="A002", reason=AttentionReason.TOO_OLD)
    assert text == "需处理 #A002：订单过旧，未自动派单"


def test_carrier_fault_keeps_the_cause():
    assert alert_text("carrier_error", "dada: 余额不足") == "运力平台出错：dada: 余额不足"


def test_core_new_order_alert_carries_the_pickup_number():
    bus = EventBus()
    seen: list[AlertRaised] = []
    bus.subscribe(AlertRaised, seen.append)
    AlertRules(bus).start()
    bus.publish(OrderReceived(7, "SIM-7", "pos", "auto", "A007"))
    bus.publish(OrderReceived(8, "SIM-8", "pos", "auto"))
    assert [(a.kind, a.order_label) for a in seen] == [
        (AlertKind.NEW_ORDER, "A007"),
        (AlertKind.NEW_ORDER, "SIM-8"),  # no pickup number: the POS's own id
    ]


def test_a_refused_sync_back_reads_the_core_words():
    msg = "美团 #12 状态同步（已送达）被平台拒绝：订单已取消，请在美团外卖商家后台核对配送状态"
    assert alert_text("sync_back", msg, order="美团 #12") == f"平台状态同步被拒：{msg}"


def test_the_source_desk_reasons_read_in_both_languages(qapp):
    from app.ui.i18n import install_translators, remove_translators

    desk = (
        AttentionReason.SOURCE_CONFIRM_FAILED,
        AttentionReason.CUSTOMER_CANCEL_REQUESTED,
        AttentionReason.CUSTOMER_REFUND_REQUESTED,
        AttentionReason.PLATFORM_TOOK_OVER,
        AttentionReason.PLATFORM_CANCEL_FAILED,
    )
    zh = {r: alert_text("attention", "x", order="美团 #12", reason=r) for r in desk}
    # a platform label carries its own number sign: not "#美团 #12"
    assert zh[AttentionReason.SOURCE_CONFIRM_FAILED] == "需处理 美团 #12：自动接单失败，请手动接单"
    assert len(set(zh.values())) == len(desk)  # each its own words, none the fallback
    assert not any(t.endswith("需要人工处理") for t in zh.values())
    ts = install_translators(qapp, "en")
    try:
        en = {r: alert_text("attention", "x", order="美团 #12", reason=r) for r in desk}
    finally:
        remove_translators(qapp, ts)
        install_translators(qapp, "zh_CN")
    assert en[AttentionReason.SOURCE_CONFIRM_FAILED] == (
        "Attention 美团 #12: Auto-accept failed; accept the order by hand"
    )
    assert en[AttentionReason.CUSTOMER_REFUND_REQUESTED].endswith("Customer asks for a refund")
    assert en[AttentionReason.PLATFORM_TOOK_OVER].endswith("The platform took over the delivery")
