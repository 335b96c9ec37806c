"""Fill English translations into jupei_en.ts (run after pyside6-lupdate, then lrelease).

pyside6-lupdate app/ui/... -ts resources/i18n/jupei_en.ts -source-language zh_CN -target-language en
python resources/i18n/fill_en.py
pyside6-lrelease resources/i18n/jupei_en.ts -qm resources/i18n/jupei_en.qm
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

EN = {
    "当前不能加小费": "A tip cannot be added now",
    "下单结果未知": "Create outcome unknown",
    "取消未获确认": "Cancel not confirmed",
    "商品已返还": "Goods returned",
    "平台已取消": "Cancelled by the platform",
    "平台配送无人接单": "Platform delivery has no rider",
    "平台已取消，配送取消未成功": "Cancelled by the platform; the delivery cancel failed",
    "平台已接管配送": "The platform took over the delivery",
    "自动接单失败，请手动接单": "Auto-accept failed; accept the order by hand",
    "顾客申请取消": "Customer asks to cancel",
    "顾客申请退款": "Customer asks for a refund",
    "打印机故障": "Printer fault",
    "平台状态同步被拒": "Platform refused a status sync",
    "派单失败": "Dispatch failed",
    "订单过旧，未自动派单": "Too old, not dispatched automatically",
    "运力平台报异常": "Carrier reported an exception",
    "运力账户余额不足": "Carrier account balance too low",
    "开机自动启动": "Start with the computer",
    "80 毫米": "80 mm", "58 毫米": "58 mm", "选择订单后显示小票预览": "Select an order to preview its ticket",
    "纸宽": "Paper width", "模板": "Template",
    "收到订单": "Order received", "骑手": "Rider", "收银机": "POS", "电话下单": "Phone order",
    "模拟": "Simulated", "收银员": "Cashier", "店长": "Manager", "系统": "System", "自动派单": "Auto dispatch",
    "#%1 已送达": "#%1 delivered", "PIN 错误": "Wrong PIN", "zh": "en",
    "一键派单（最优）": "Dispatch best", "下单失败": "Create failed", "下单时间": "Time",
    "价格权重": "Price weight", "优先运力": "Preferred carriers",
    "优先运力独占时间 (分)": "Preferred-only window (min)", "保存到系统钥匙串": "Saved to the OS keyring",
    "允许局域网访问": "Allow LAN access", "全部订单": "All orders", "其他": "Other",
    "刷新状态": "Refresh", "加小费": "Add tip", "单个运力询价超时 (秒)": "Per-carrier quote timeout (s)",
    "取消中": "Cancelling", "取消处理中": "Cancel pending", "取消当前运力并重新派单？": "Cancel the current carrier and dispatch again?",
    "取消配送": "Cancel delivery", "取消配送？预计违约金：%1": "Cancel the delivery? Expected cancellation fee: %1",
    "取餐号": "Pickup #", "可靠性权重": "Reliability weight", "同时呼叫多家": "Race carriers",
    "启用": "Enabled", "商品": "Items", "商品返还中": "Goods returning", "在线": "Online",
    "地图显示全部": "Fit map", "地址": "Address", "城市": "City", "城市区号": "City code", "默认货品类别": "Default goods category",
    "备注": "Note", "复制示例": "Copy example", "外部沙箱地址": "External sandbox URL",
    "失败：%1": "Failed: %1", "密钥仅本次有效：%1": "Secrets last for this session only: %1",
    "密钥存储不可用：%1": "Secret store unavailable: %1", "对账报表": "Reconciliation reports",
    "导出": "Export", "小票模板": "Ticket template", "小票预览": "Ticket preview",
    "小程序": "Mini program", "小费已达上限": "Tip cap reached", "工具(&T)": "&Tools",
    "已保存": "Saved", "已保存在系统钥匙串（留空不修改）": "Stored in the OS keyring (leave empty to keep)",
    "已到店": "At store", "已到达": "At drop-off", "已取消": "Cancelled", "已取货": "Picked up",
    "已完成": "Done", "已接单": "Accepted", "已用时": "Elapsed", "已询价": "Quoted",
    "已过期": "Expired", "已返还": "Returned", "已送达": "Delivered", "店长验证": "Manager check",
    "待接单": "Awaiting rider", "成功：报价 %1": "OK: quote %1", "打印": "Printing",
    "打印小票": "Print ticket", "打印服务不支持补打": "Printing cannot reprint",
    "打印服务未配置": "Printing is not configured", "打印机": "Printers", "报价类型": "Quote type",
    "排队中": "Queued", "排除运力": "Excluded carriers", "接单超时 (秒)": "Accept timeout (s)",
    "接口地址": "Base URL", "提交中": "Submitting", "提示音": "Sound", "提醒": "Alerts",
    "搜索 取餐号/顾客/电话/地址 (Ctrl+F)": "Search pickup #/customer/phone/address (Ctrl+F)",
    "搜索订单": "Search orders", "收银": "POS", "收银接口": "POS API", "新订单": "New",
    "新订单 #%1": "New order #%1", "新订单自动打印": "Print new orders", "无效设置：%1": "Invalid settings: %1",
    "无骑手接单提醒 (分钟)": "No-rider alert after (min)", "时效权重": "Time weight", "时间线": "Timeline",
    "显示": "Show", "显示主窗口": "Show window", "显示完整手机号": "Show full phone numbers",
    "更换后收银系统需使用新密钥，确定？": "The POS must use the new secret afterwards. Continue?",
    "更换密钥": "Rotate secret", "最多同时呼叫": "Race at most", "最长取货时间 (秒)": "Max pickup time (s)",
    "有效期": "Expires", "未启用或缺少凭据（保存后再试）": "Disabled or missing credentials (save first)",
    "未知": "Unknown", "未知（运力未提供预估）": "unknown (no preview from the carrier)",
    "标签模板": "Label template", "标记为店员自行送达？": "Mark as delivered by our own staff?",
    "标记自配送": "Self-delivered", "模拟收银订单": "Simulate POS order",
    "模拟订单已收到：%1": "Simulated order received: %1", "正式": "Production",
    "此功能尚未安装：%1": "Not installed yet: %1",
    "每行：名称 数量 单价(元)，例如：宫保鸡丁 1 38": "One per line: name qty unit price (yuan), e.g. Kung Pao chicken 1 38",
    "比价": "Quotes", "沙箱": "Sandbox", "沙箱端口": "Sandbox port", "派单": "Dispatch",
    "派单中": "Dispatching", "派单后打印": "Print after dispatch", "派单引擎尚未就绪": "Dispatch engine not ready",
    "派单方式": "Dispatch", "派单模式": "Dispatch mode", "派单策略": "Strategy", "派单规则": "Dispatch rules",
    "测试连接（询价一单）": "Test connection (one quote)", "渠道": "Channel", "渠道规则": "Channel rules",
    "演练时钟倍速": "Rehearsal clock speed", "演练模式": "Rehearsal",
    "演练模式 — 所有运力均为本地沙箱，不会产生真实配送和费用": "REHEARSAL MODE — every carrier is a local sandbox; no real deliveries, no charges",
    "状态": "Status", "状态回调地址": "Status webhook URL", "电话": "Phone", "电话订单录入": "Phone order",
    "界面": "Interface", "界面语言": "Language", "监听地址": "Listen address", "看板显示天数": "Board days",
    "确认全部提醒": "Acknowledge all alerts", "确认提醒 (F2)": "Acknowledge (F2)",
    "离线地图（无瓦片）": "Offline map (no tiles)", "离线：%1": "Offline: %1", "端口": "Port",
    "签名密钥": "Signing secret", "签名示例（Python）": "Signature example (Python)",
    "纬度 (GCJ-02)": "Latitude (GCJ-02)", "经度 (GCJ-02)": "Longitude (GCJ-02)", "美团": "Meituan",
    "聚配": "JuPei", "聚配 JuPei — %1": "JuPei — %1", "自动加小费阶梯 (分)": "Auto tip ladder (fen)",
    "自配送": "Self delivery", "自配送完成": "Self-delivered", "视图(&V)": "&View", "订单(&O)": "&Orders",
    "设置…": "Settings…", "设置店长 PIN": "Set manager PIN", "设置（店长）": "Settings (manager)",
    "询价": "Get quotes", "询价总时限 (秒)": "Quote deadline (s)", "该运力不支持加小费": "This carrier takes no tips",
    "语音播报": "Voice", "请输入店长 PIN": "Manager PIN", "距离": "Distance", "距离分段": "Distance bands",
    "轨迹过期 (秒)": "Stale tracking after (s)", "轨迹长时间未更新": "Tracking stale", "运力": "Carrier",
    "运力平台出错": "Carrier error", "运费": "Fee", "运费上限 (分)": "Fee cap (fen)", "返还中": "Returning",
    "退出": "Quit", "选择一个订单查看详情": "Select an order to see its details", "配送中": "Delivering",
    "重复提醒间隔 (秒)": "Repeat alerts every (s)", "重新派单": "Re-dispatch",
    "金额（元），步长 %1": "Amount (yuan), step %1", "锁定价": "Binding", "长时间无骑手接单": "No rider yet",
    "门店": "Store", "门店名称": "Store name", "门店地址": "Store address", "门店电话": "Store phone",
    "随机种子": "Random seed", "需处理": "Attention", "需要人工处理": "Needs attention", "音量": "Volume",
    "顾客": "Customer", "顾客姓名": "Customer name", "预估": "Estimate", "预计取货": "Pickup ETA",
    "预计接单": "Accept ETA", "饿了么": "Ele.me", "首次使用：请设置 4-12 位数字店长 PIN": "First use: set a 4-12 digit manager PIN",
    "骑手": "Rider", "骑手取消": "Rider cancelled", "骑手接单后打印": "Print when a rider accepts",
    "默认派单方式": "Default dispatch", "报表服务未配置": "Reports service not configured", "地图瓦片源": "Map tiles",
    "autonavi = 高德 (GCJ-02，中国大陆)；osm = OpenStreetMap (境外)；offline = 不加载瓦片；也可填写 XYZ 模板": "autonavi = AutoNavi (GCJ-02, mainland China); osm = OpenStreetMap (elsewhere); offline = no tiles; or an XYZ URL template",
    "聚配 — %n 条未确认提醒": "JuPei — %n unacknowledged alert(s)", "合计": "Total", "小费": "Tip",
    "正在启动…": "Starting…",
}  # fmt: skip
PLURALS = {
    "%n 条未确认提醒": ("%n unacknowledged alert", "%n unacknowledged alerts"),
    "全部 %n": ("All %n", "All %n"),
    "已确认 %n 条提醒": ("%n alert acknowledged", "%n alerts acknowledged"),
    "已载入 %n 个订单": ("%n order loaded", "%n orders loaded"),
    "聚配 — %n 条未确认提醒": (
        "JuPei — %n unacknowledged alert",
        "JuPei — %n unacknowledged alerts",
    ),
}


def fill(path: Path) -> list[str]:
    tree = ET.parse(path)
    missing = []
    for msg in tree.iter("message"):
        src = msg.findtext("source") or ""
        tr = msg.find("translation")
        if tr is None:
            continue
        if msg.get("numerus") == "yes":
            forms = PLURALS.get(src)
            if forms:
                for child in list(tr):
                    tr.remove(child)
                for f in forms:
                    ET.SubElement(tr, "numerusform").text = f
                tr.attrib.pop("type", None)
            else:
                missing.append(src)
        elif src in EN:
            tr.text = EN[src]
            tr.attrib.pop("type", None)
        else:
            missing.append(src)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return missing


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("jupei_en.ts"))
    left = fill(target)
    print(f"untranslated: {len(left)}", *left, sep="\n  ")
