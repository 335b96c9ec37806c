"""Translatable labels for settings fields (falls back to the field name)."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

_LABELS = {
    "store.name": QT_TRANSLATE_NOOP("settings", "门店名称"), "store.address": QT_TRANSLATE_NOOP("settings", "门店地址"), "store.phone": QT_TRANSLATE_NOOP("settings", "门店电话"),
    "store.city": QT_TRANSLATE_NOOP("settings", "城市"), "store.city_code": QT_TRANSLATE_NOOP("settings", "城市区号"), "store.lat": QT_TRANSLATE_NOOP("settings", "纬度 (GCJ-02)"),
    "store.lng": QT_TRANSLATE_NOOP("settings", "经度 (GCJ-02)"),
    "store.default_category": QT_TRANSLATE_NOOP("settings", "默认货品类别"),
    "store.currency": QT_TRANSLATE_NOOP("settings", "币种 (ISO 4217，如 CNY、USD)"),
    "store.country": QT_TRANSLATE_NOOP("settings", "国家/地区 (ISO 3166，如 CN、US)"),
    "dispatch.mode": QT_TRANSLATE_NOOP("settings", "派单模式"), "dispatch.strategy": QT_TRANSLATE_NOOP("settings", "派单策略"),
    "dispatch.quote_deadline_s": QT_TRANSLATE_NOOP("settings", "询价总时限 (秒)"), "dispatch.quote_timeout_s": QT_TRANSLATE_NOOP("settings", "单个运力询价超时 (秒)"),
    "dispatch.accept_timeout_s": QT_TRANSLATE_NOOP("settings", "接单超时 (秒)"), "dispatch.race": QT_TRANSLATE_NOOP("settings", "同时呼叫多家"),
    "dispatch.race_max": QT_TRANSLATE_NOOP("settings", "最多同时呼叫"), "dispatch.preferred": QT_TRANSLATE_NOOP("settings", "优先运力"),
    "dispatch.preferred_minutes": QT_TRANSLATE_NOOP("settings", "优先运力独占时间 (分)"), "dispatch.excluded": QT_TRANSLATE_NOOP("settings", "排除运力"),
    "dispatch.fee_cap_fen": QT_TRANSLATE_NOOP("settings", "运费上限 (分)"), "dispatch.max_pickup_s": QT_TRANSLATE_NOOP("settings", "最长取货时间 (秒)"),
    "dispatch.distance_bands": QT_TRANSLATE_NOOP("settings", "距离分段"), "dispatch.channel_overrides": QT_TRANSLATE_NOOP("settings", "渠道规则"),
    "dispatch.weight_price": QT_TRANSLATE_NOOP("settings", "价格权重"), "dispatch.weight_time": QT_TRANSLATE_NOOP("settings", "时效权重"),
    "dispatch.weight_reliability": QT_TRANSLATE_NOOP("settings", "可靠性权重"), "dispatch.tip_ladder_fen": QT_TRANSLATE_NOOP("settings", "自动加小费阶梯 (分)"),
    "dispatch.stale_tracking_s": QT_TRANSLATE_NOOP("settings", "轨迹过期 (秒)"),
    "pos.host": QT_TRANSLATE_NOOP("settings", "监听地址"), "pos.port": QT_TRANSLATE_NOOP("settings", "端口"), "pos.allow_remote": QT_TRANSLATE_NOOP("settings", "允许局域网访问"),
    "pos.default_dispatch": QT_TRANSLATE_NOOP("settings", "默认派单方式"), "pos.webhook_url": QT_TRANSLATE_NOOP("settings", "状态回调地址"),
    "printing.printers": QT_TRANSLATE_NOOP("settings", "打印机"), "printing.on_new_order": QT_TRANSLATE_NOOP("settings", "新订单自动打印"),
    "printing.on_dispatched": QT_TRANSLATE_NOOP("settings", "派单后打印"), "printing.on_rider_accepted": QT_TRANSLATE_NOOP("settings", "骑手接单后打印"),
    "printing.template": QT_TRANSLATE_NOOP("settings", "小票模板"), "printing.label_template": QT_TRANSLATE_NOOP("settings", "标签模板"),
    "alerts.sound": QT_TRANSLATE_NOOP("settings", "提示音"), "alerts.voice": QT_TRANSLATE_NOOP("settings", "语音播报"), "alerts.repeat_s": QT_TRANSLATE_NOOP("settings", "重复提醒间隔 (秒)"),
    "alerts.no_rider_after_min": QT_TRANSLATE_NOOP("settings", "无骑手接单提醒 (分钟)"), "alerts.volume": QT_TRANSLATE_NOOP("settings", "音量"),
    "rehearsal.mode": QT_TRANSLATE_NOOP("settings", "演练模式"), "rehearsal.speed": QT_TRANSLATE_NOOP("settings", "演练时钟倍速"), "rehearsal.port": QT_TRANSLATE_NOOP("settings", "沙箱端口"),
    "rehearsal.seed": QT_TRANSLATE_NOOP("settings", "随机种子"), "rehearsal.sandbox_url": QT_TRANSLATE_NOOP("settings", "外部沙箱地址"), "rehearsal.sample_orders_every_s": QT_TRANSLATE_NOOP("settings", "模拟收银订单间隔 (秒)"), "rehearsal.sample_orders_max": QT_TRANSLATE_NOOP("settings", "模拟收银订单上限"), "rehearsal.sources": QT_TRANSLATE_NOOP("settings", "模拟美团/饿了么订单"), "rehearsal.sources_url": QT_TRANSLATE_NOOP("settings", "外部平台模拟器地址"), "rehearsal.source_orders_every_s": QT_TRANSLATE_NOOP("settings", "平台模拟订单间隔 (秒)"), "rehearsal.source_orders_max": QT_TRANSLATE_NOOP("settings", "平台模拟订单上限"),
    "ui.language": QT_TRANSLATE_NOOP("settings", "界面语言"), "ui.board_days": QT_TRANSLATE_NOOP("settings", "看板显示天数"), "ui.show_full_phone": QT_TRANSLATE_NOOP("settings", "显示完整手机号"),
    "privacy.retain_days": QT_TRANSLATE_NOOP("settings", "顾客电话和地址保留天数"),
}  # fmt: skip


def field_label(section: str, name: str) -> str:
    text = _LABELS.get(f"{section}.{name}")
    return QCoreApplication.translate("settings", text) if text else name
