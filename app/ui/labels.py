"""Human labels and colours for core enums, all translatable (source strings are zh_CN,
English comes from ``resources/i18n/jupei_en.qm``)."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor

from app.core import operations
from app.core.board import Lane
from app.core.domain.attention import Attention, AttentionReason
from app.core.operations import CarrierFacts

R = AttentionReason

LANE_ORDER: tuple[Lane, ...] = (
    Lane.NEW,
    Lane.AWAITING,
    Lane.DELIVERING,
    Lane.ATTENTION,
    Lane.DONE,
    Lane.CANCELLED,
)


def lane_label(lane: Lane) -> str:
    return {
        Lane.NEW: QCoreApplication.translate("labels", "新订单"),
        Lane.AWAITING: QCoreApplication.translate("labels", "待接单"),
        Lane.DELIVERING: QCoreApplication.translate("labels", "配送中"),
        Lane.ATTENTION: QCoreApplication.translate("labels", "需处理"),
        Lane.DONE: QCoreApplication.translate("labels", "已完成"),
        Lane.CANCELLED: QCoreApplication.translate("labels", "已取消"),
    }[lane]


LANE_COLORS = {
    Lane.NEW: "#1f6feb",
    Lane.AWAITING: "#b07d00",
    Lane.DELIVERING: "#1a7f37",
    Lane.ATTENTION: "#cf222e",
    Lane.DONE: "#57606a",
    Lane.CANCELLED: "#8c959f",
}


def lane_color(lane: Lane) -> QColor:
    return QColor(LANE_COLORS[lane])


def status_label(status: str) -> str:
    return {
        "new": QCoreApplication.translate("labels", "新订单"),
        "queued": QCoreApplication.translate("labels", "排队中"),
        "dispatching": QCoreApplication.translate("labels", "派单中"),
        "quoted": QCoreApplication.translate("labels", "已询价"),
        "submitting": QCoreApplication.translate("labels", "提交中"),
        "create_failed": QCoreApplication.translate("labels", "下单失败"),
        "pending_accept": QCoreApplication.translate("labels", "待接单"),
        "accepted": QCoreApplication.translate("labels", "已接单"),
        "at_pickup": QCoreApplication.translate("labels", "已到店"),
        "picked_up": QCoreApplication.translate("labels", "已取货"),
        "at_dropoff": QCoreApplication.translate("labels", "已到达"),
        "delivered": QCoreApplication.translate("labels", "已送达"),
        "self_delivered": QCoreApplication.translate("labels", "自配送完成"),
        "cancel_requested": QCoreApplication.translate("labels", "取消中"),
        "cancelled": QCoreApplication.translate("labels", "已取消"),
        "returning": QCoreApplication.translate("labels", "返还中"),
        "returned": QCoreApplication.translate("labels", "已返还"),
        "attention": QCoreApplication.translate("labels", "需处理"),
        "unknown": QCoreApplication.translate("labels", "未知"),
    }.get(status, status)


def channel_label(channel: str) -> str:
    return {
        "pos": QCoreApplication.translate("labels", "收银"),
        "meituan": QCoreApplication.translate("labels", "美团"),
        "eleme": QCoreApplication.translate("labels", "饿了么"),
        "miniprogram": QCoreApplication.translate("labels", "小程序"),
        "phone": QCoreApplication.translate("labels", "电话"),
        "other": QCoreApplication.translate("labels", "其他"),
    }.get(channel, channel)


def reason_label(reason: AttentionReason) -> str:
    t = QCoreApplication.translate
    return {
        R.NO_RIDER: t("labels", "长时间无骑手接单"),
        R.TRACKING_STALE: t("labels", "轨迹长时间未更新"),
        R.GOODS_RETURNING: t("labels", "商品返还中"),
        R.GOODS_RETURNED: t("labels", "商品已返还"),
        R.CANCEL_PENDING: t("labels", "取消处理中"),
        R.CANCEL_UNCONFIRMED: t("labels", "取消未获确认"),
        R.RIDER_CANCELLED: t("labels", "骑手取消"),
        R.CARRIER_EXCEPTION: t("labels", "运力平台报异常"),
        R.CREATE_UNKNOWN: t("labels", "下单结果未知"),
        R.DISPATCH_FAILED: t("labels", "派单失败"),
        R.INSUFFICIENT_BALANCE: t("labels", "运力账户余额不足"),
        R.TOO_OLD: t("labels", "订单过旧，未自动派单"),
        R.PLATFORM_CANCELLED: t("labels", "平台已取消"),
        R.PLATFORM_STALLED: t("labels", "平台配送无人接单"),
        R.PLATFORM_CANCEL_FAILED: t("labels", "平台已取消，配送取消未成功"),
        R.PLATFORM_TOOK_OVER: t("labels", "平台已接管配送"),
        R.SOURCE_CONFIRM_FAILED: t("labels", "自动接单失败，请手动接单"),
        R.CUSTOMER_CANCEL_REQUESTED: t("labels", "顾客申请取消"),
        R.CUSTOMER_REFUND_REQUESTED: t("labels", "顾客申请退款"),
    }.get(reason, t("labels", "需要人工处理"))


def attention_label(attention: Attention | None) -> str:
    """The reason in the UI language, then the carrier's or engine's own words."""
    if attention is None:
        return ""
    text = reason_label(attention.reason)
    return f"{text}（{attention.detail}）" if attention.detail else text


@cache
def carrier_facts() -> dict[str, CarrierFacts]:
    """Carrier names and colours, from the core (static registry data, read once)."""
    return operations.carrier_facts()


def carrier_label(carrier: str | None) -> str:
    if not carrier:
        return ""
    facts = carrier_facts().get(carrier)
    if facts is None:
        return carrier
    return facts.name("en" if QCoreApplication.translate("labels", "zh") == "en" else "zh")


# the core's alert text is for the log; the cashier reads these, in the UI language
_DETAIL_KINDS = frozenset({"carrier_error", "printer"})  # the core's words carry the cause
# the core's words name the order, the platform's refusal and what to do
_OWN_WORDS_KINDS = frozenset({"sync_back"})


def alert_kind_label(kind: str) -> str:
    t = QCoreApplication.translate
    return {
        "new_order": t("labels", "新订单"),
        "delivered": t("labels", "已送达"),
        "attention": t("labels", "需处理"),
        "no_rider": t("labels", "长时间无骑手接单"),
        "stale": t("labels", "轨迹长时间未更新"),
        "rider_cancelled": t("labels", "骑手取消"),
        "returning": t("labels", "商品返还中"),
        "carrier_error": t("labels", "运力平台出错"),
        "printer": t("labels", "打印机故障"),
        "sync_back": t("labels", "平台状态同步被拒"),
        "storage": t("labels", "数据库无法写入（磁盘满、只读或被占用）"),
    }.get(str(kind), str(kind))


def storage_fault_text(kind: str) -> str:
    """A cashier's action that the database refused (disk full, read-only, locked)."""
    t = QCoreApplication.translate
    return {
        "full": t("labels", "磁盘已满，操作未保存 — 请释放磁盘空间后重试"),
        "readonly": t("labels", "数据库只读，操作未保存 — 请检查数据文件夹的权限后重试"),
        "busy": t("labels", "数据库被其他程序占用，操作未保存 — 请稍后重试"),
    }.get(kind, kind)


def alert_text(
    kind: str, message: str, *, order: str = "", reason: AttentionReason | None = None
) -> str:
    """``新订单 #A008`` / ``需处理 #A002：骑手取消`` / ``需处理 美团 #1：顾客申请退款``;
    carrier and printer faults keep the core's words, which name the cause."""
    text = alert_kind_label(kind)
    colon = QCoreApplication.translate("labels", "：")  # ": " in English
    if str(kind) in _OWN_WORDS_KINDS and message:
        return f"{text}{colon}{message}"
    if order:  # a platform order's label carries its own number sign (美团 #1)
        text = f"{text} {order}" if "#" in order else f"{text} #{order}"
    if reason is not None:
        text = f"{text}{colon}{reason_label(reason)}"
    elif str(kind) in _DETAIL_KINDS and message:
        text = f"{text}{colon}{message}"
    return text
