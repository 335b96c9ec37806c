<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en" sourcelanguage="zh_CN">
<context>
    <name>AlertBar</name>
    <message>
        <location filename="../../app/ui/banners.py" line="30" />
        <source>确认提醒 (F2)</source>
        <translation>Acknowledge (F2)</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/ui/banners.py" line="44" />
        <source>%n 条未确认提醒</source>
        <translation>
            <numerusform>%n unacknowledged alert</numerusform><numerusform>%n unacknowledged alerts</numerusform></translation>
    </message>
</context>
<context>
    <name>BoardModel</name>
    <message>
        <location filename="../../app/ui/board/model.py" line="55" />
        <source>取餐号</source>
        <translation>Pickup #</translation>
    </message>
    <message>
        <location filename="../../app/ui/board/model.py" line="56" />
        <source>下单时间</source>
        <translation>Time</translation>
    </message>
    <message>
        <location filename="../../app/ui/board/model.py" line="57" />
        <source>渠道</source>
        <translation>Channel</translation>
    </message>
    <message>
        <location filename="../../app/ui/board/model.py" line="58" />
        <source>顾客</source>
        <translation>Customer</translation>
    </message>
    <message>
        <location filename="../../app/ui/board/model.py" line="59" />
        <source>地址</source>
        <translation>Address</translation>
    </message>
    <message>
        <location filename="../../app/ui/board/model.py" line="60" />
        <source>距离</source>
        <translation>Distance</translation>
    </message>
    <message>
        <location filename="../../app/ui/board/model.py" line="61" />
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../../app/ui/board/model.py" line="62" />
        <source>运力</source>
        <translation>Carrier</translation>
    </message>
    <message>
        <location filename="../../app/ui/board/model.py" line="63" />
        <source>运费</source>
        <translation>Fee</translation>
    </message>
    <message>
        <location filename="../../app/ui/board/model.py" line="64" />
        <source>骑手</source>
        <translation>Rider</translation>
    </message>
    <message>
        <location filename="../../app/ui/board/model.py" line="65" />
        <source>已用时</source>
        <translation>Elapsed</translation>
    </message>
</context>
<context>
    <name>BoardView</name>
    <message>
        <location filename="../../app/ui/board/view.py" line="43" />
        <source>搜索 取餐号/顾客/电话/地址 (Ctrl+F)</source>
        <translation>Search pickup #/customer/phone/address (Ctrl+F)</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/ui/board/view.py" line="87" />
        <source>全部 %n</source>
        <translation>
            <numerusform>All %n</numerusform><numerusform>All %n</numerusform></translation>
    </message>
</context>
<context>
    <name>CarrierPage</name>
    <message>
        <location filename="../../app/ui/settings/carriers.py" line="49" />
        <source>启用</source>
        <translation>Enabled</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/carriers.py" line="52" />
        <source>接口地址</source>
        <translation>Base URL</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/carriers.py" line="59" />
        <source>测试连接（询价一单）</source>
        <translation>Test connection (one quote)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/carriers.py" line="69" />
        <source>沙箱</source>
        <translation>Sandbox</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/carriers.py" line="70" />
        <source>正式</source>
        <translation>Production</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/carriers.py" line="82" />
        <source>已保存在系统钥匙串（留空不修改）</source>
        <translation>Stored in the OS keyring (leave empty to keep)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/carriers.py" line="83" />
        <source>保存到系统钥匙串</source>
        <translation>Saved to the OS keyring</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/carriers.py" line="111" />
        <source>未启用或缺少凭据（保存后再试）</source>
        <translation>Disabled or missing credentials (save first)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/carriers.py" line="117" />
        <source>失败：%1</source>
        <translation>Failed: %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/carriers.py" line="56" />
        <source>首日检查（只询价，不下单）</source>
        <translation>First-day check (quotes only, no order)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/carriers.py" line="59" />
        <source>用已保存的凭据调用安全接口，对照适配器的预期，列出不一致和要改的选项</source>
        <translation>Calls the safe endpoints with the saved credentials, compares the answers with what the adapter expects, and lists what does not match and which option to change</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/carriers.py" line="124" />
        <source>检查中…</source>
        <translation>Checking…</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/carriers.py" line="127" />
        <source>检查中：%1</source>
        <translation>Checking: %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/carriers.py" line="127" />
        <source>城市列表</source>
        <translation>city list</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/carriers.py" line="128" />
        <source>询价</source>
        <translation>quote</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/carriers.py" line="129" />
        <source>测试下单</source>
        <translation>test order</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/carriers.py" line="130" />
        <source>取消测试单</source>
        <translation>cancelling the test order</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/carriers.py" line="119" />
        <source>成功：报价 %1</source>
        <translation>OK: quote %1</translation>
    </message>
</context>
<context>
    <name>ConfigProblemBanner</name>
    <message>
        <source>配置文件有问题，已按上次可用的配置启动。</source>
        <translation>The settings file has a problem; JuPei started on the last good settings.</translation>
    </message>
    <message>
        <source>配置文件有问题，已按默认配置启动。</source>
        <translation>The settings file has a problem; JuPei started on the default settings.</translation>
    </message>
    <message>
        <source>打开设置…</source>
        <translation>Open settings…</translation>
    </message>
    <message>
        <source>隐藏</source>
        <translation>Hide</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>诊断包…</source>
        <translation>Diagnostics pack…</translation>
    </message>
    <message>
        <source>检查更新…</source>
        <translation>Check for updates…</translation>
    </message>
    <message>
        <location filename="../../app/ui/main_window.py" line="36" />
        <location filename="../../app/ui/main_window.py" line="166" />
        <source>聚配 JuPei — %1</source>
        <translation>JuPei — %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/main_window.py" line="86" />
        <source>密钥存储不可用：%1</source>
        <translation>Secret store unavailable: %1</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/ui/main_window.py" line="111" />
        <source>已载入 %n 个订单</source>
        <translation>
            <numerusform>%n order loaded</numerusform><numerusform>%n orders loaded</numerusform></translation>
    </message>
    <message>
        <location filename="../../app/ui/main_window.py" line="123" />
        <source>正在启动…</source>
        <translation>Starting…</translation>
    </message>
    <message>
        <location filename="../../app/ui/main_window.py" line="128" />
        <source>新订单 #%1</source>
        <translation>New order #%1</translation>
    </message>
    <message>
        <location filename="../../app/ui/main_window.py" line="130" />
        <source>新订单</source>
        <translation>New</translation>
    </message>
    <message>
        <location filename="../../app/ui/main_window.py" line="154" />
        <source>#%1 已送达</source>
        <translation>#%1 delivered</translation>
    </message>
    <message>
        <location filename="../../app/ui/main_window.py" line="171" />
        <source>在线</source>
        <translation>Online</translation>
    </message>
    <message>
        <location filename="../../app/ui/main_window.py" line="171" />
        <source>离线：%1</source>
        <translation>Offline: %1</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/ui/main_window.py" line="166" />
        <source>%n 个新订单，最近：%1</source>
        <translation>
            <numerusform>%n new order, latest: %1</numerusform><numerusform>%n new orders, latest: %1</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/ui/main_window.py" line="191" />
        <source>已确认 %n 条提醒</source>
        <translation>
            <numerusform>%n alert acknowledged</numerusform><numerusform>%n alerts acknowledged</numerusform></translation>
    </message>
    <message>
        <location filename="../../app/ui/main_window.py" line="211" />
        <source>模拟订单已收到：%1</source>
        <translation>Simulated order received: %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/menus.py" line="38" />
        <source>订单(&amp;O)</source>
        <translation>&amp;Orders</translation>
    </message>
    <message>
        <location filename="../../app/ui/menus.py" line="42" />
        <source>电话订单录入</source>
        <translation>Phone order</translation>
    </message>
    <message>
        <location filename="../../app/ui/menus.py" line="50" />
        <source>模拟收银订单</source>
        <translation>Simulate POS order</translation>
    </message>
    <message>
        <location filename="../../app/ui/menus.py" line="58" />
        <source>搜索订单</source>
        <translation>Search orders</translation>
    </message>
    <message>
        <location filename="../../app/ui/menus.py" line="66" />
        <source>确认全部提醒</source>
        <translation>Acknowledge all alerts</translation>
    </message>
    <message>
        <location filename="../../app/ui/menus.py" line="72" />
        <source>退出</source>
        <translation>Quit</translation>
    </message>
    <message>
        <location filename="../../app/ui/menus.py" line="76" />
        <source>视图(&amp;V)</source>
        <translation>&amp;View</translation>
    </message>
    <message>
        <location filename="../../app/ui/menus.py" line="79" />
        <source>全部订单</source>
        <translation>All orders</translation>
    </message>
    <message>
        <location filename="../../app/ui/menus.py" line="87" />
        <source>地图显示全部</source>
        <translation>Fit map</translation>
    </message>
    <message>
        <location filename="../../app/ui/menus.py" line="91" />
        <source>工具(&amp;T)</source>
        <translation>&amp;Tools</translation>
    </message>
    <message>
        <location filename="../../app/ui/menus.py" line="95" />
        <source>对账报表</source>
        <translation>Reconciliation reports</translation>
    </message>
    <message>
        <location filename="../../app/ui/menus.py" line="102" />
        <source>导出</source>
        <translation>Export</translation>
    </message>
    <message>
        <location filename="../../app/ui/menus.py" line="109" />
        <source>小票预览</source>
        <translation>Ticket preview</translation>
    </message>
    <message>
        <location filename="../../app/ui/menus.py" line="120" />
        <source>设置…</source>
        <translation>Settings…</translation>
    </message>
    <message>
        <location filename="../../app/ui/menus.py" line="130" />
        <source>此功能尚未安装：%1</source>
        <translation>Not installed yet: %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/menus.py" line="149" />
        <location filename="../../app/ui/menus.py" line="155" />
        <source>报表服务未配置</source>
        <translation>Reports service not configured</translation>
    </message>
    <message>
        <source>开机自动启动</source>
        <translation>Start with the computer</translation>
    </message>
    <message>
        <source>您有新的%1订单</source>
        <translation>New %1 order</translation>
    </message>
    <message>
        <source>备份/恢复…</source>
        <translation>Backup/Restore…</translation>
    </message>
</context>
<context>
    <name>ManualOrderDialog</name>
    <message>
        <location filename="../../app/ui/dialogs/manual_order.py" line="40" />
        <source>电话订单录入</source>
        <translation>Phone order</translation>
    </message>
    <message>
        <location filename="../../app/ui/dialogs/manual_order.py" line="47" />
        <source>顾客姓名</source>
        <translation>Customer name</translation>
    </message>
    <message>
        <location filename="../../app/ui/dialogs/manual_order.py" line="48" />
        <source>电话</source>
        <translation>Phone</translation>
    </message>
    <message>
        <location filename="../../app/ui/dialogs/manual_order.py" line="49" />
        <source>地址</source>
        <translation>Address</translation>
    </message>
    <message>
        <location filename="../../app/ui/dialogs/manual_order.py" line="50" />
        <source>纬度 (GCJ-02)</source>
        <translation>Latitude (GCJ-02)</translation>
    </message>
    <message>
        <location filename="../../app/ui/dialogs/manual_order.py" line="51" />
        <source>经度 (GCJ-02)</source>
        <translation>Longitude (GCJ-02)</translation>
    </message>
    <message>
        <location filename="../../app/ui/dialogs/manual_order.py" line="53" />
        <source>每行：名称 数量 单价(元)，例如：宫保鸡丁 1 38</source>
        <translation>One per line: name qty unit price (yuan), e.g. Kung Pao chicken 1 38</translation>
    </message>
    <message>
        <location filename="../../app/ui/dialogs/manual_order.py" line="55" />
        <source>商品</source>
        <translation>Items</translation>
    </message>
    <message>
        <location filename="../../app/ui/dialogs/manual_order.py" line="56" />
        <source>备注</source>
        <translation>Note</translation>
    </message>
    <message>
        <location filename="../../app/ui/dialogs/manual_order.py" line="59" />
        <source>派单方式</source>
        <translation>Dispatch</translation>
    </message>
</context>
<context>
    <name>MapView</name>
    <message>
        <location filename="../../app/ui/map/view.py" line="210" />
        <source>离线地图（无瓦片）</source>
        <translation>Offline map (no tiles)</translation>
    </message>
</context>
<context>
    <name>OrderActions</name>
    <message>
        <location filename="../../app/ui/detail/actions.py" line="32" />
        <source>派单引擎尚未就绪</source>
        <translation>Dispatch engine not ready</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/actions.py" line="44" />
        <source>重新派单</source>
        <translation>Re-dispatch</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/actions.py" line="45" />
        <source>取消当前运力并重新派单？</source>
        <translation>Cancel the current carrier and dispatch again?</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/actions.py" line="53" />
        <source>自配送</source>
        <translation>Self delivery</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/actions.py" line="54" />
        <source>标记为店员自行送达？</source>
        <translation>Mark as delivered by our own staff?</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/actions.py" line="63" />
        <source>未知（运力未提供预估）</source>
        <translation>unknown (no preview from the carrier)</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/actions.py" line="67" />
        <source>取消配送？预计违约金：%1</source>
        <translation>Cancel the delivery? Expected cancellation fee: %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/actions.py" line="71" />
        <source>取消配送</source>
        <translation>Cancel delivery</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/actions.py" line="81" />
        <source>该运力不支持加小费</source>
        <translation>This carrier takes no tips</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/actions.py" line="84" />
        <source>小费已达上限</source>
        <translation>Tip cap reached</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/actions.py" line="86" />
        <source>加小费</source>
        <translation>Add tip</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/actions.py" line="86" />
        <source>金额（元），步长 %1</source>
        <translation>Amount (yuan), step %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/actions.py" line="102" />
        <source>打印服务未配置</source>
        <translation>Printing is not configured</translation>
    </message>
    <message>
        <source>当前不能加小费</source>
        <translation>A tip cannot be added now</translation>
    </message>
</context>
<context>
    <name>OrderDetailPanel</name>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="60" />
        <location filename="../../app/ui/detail/panel.py" line="150" />
        <source>选择一个订单查看详情</source>
        <translation>Select an order to see its details</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="85" />
        <source>比价</source>
        <translation>Quotes</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="91" />
        <source>时间线</source>
        <translation>Timeline</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="99" />
        <source>询价</source>
        <translation>Get quotes</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="100" />
        <source>一键派单（最优）</source>
        <translation>Dispatch best</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="101" />
        <source>加小费</source>
        <translation>Add tip</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="102" />
        <source>取消配送</source>
        <translation>Cancel delivery</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="103" />
        <source>重新派单</source>
        <translation>Re-dispatch</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="104" />
        <source>打印小票</source>
        <translation>Print ticket</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="105" />
        <source>标记自配送</source>
        <translation>Self-delivered</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="106" />
        <source>刷新状态</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="179" />
        <source>顾客</source>
        <translation>Customer</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="179" />
        <source>地址</source>
        <translation>Address</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="179" />
        <source>商品</source>
        <translation>Items</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="180" />
        <source>合计</source>
        <translation>Total</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="180" />
        <source>备注</source>
        <translation>Note</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="192" />
        <source>运力</source>
        <translation>Carrier</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="192" />
        <source>小费</source>
        <translation>Tip</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/panel.py" line="192" />
        <source>骑手</source>
        <translation>Rider</translation>
    </message>
    <message>
        <source>送达凭证</source>
        <translation>Proof of delivery</translation>
    </message>
</context>
<context>
    <name>HubPage</name>
    <message>
        <source>本次已上传 %1 条记录到总部</source>
        <translation>%1 records uploaded to head office in this session</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/hub_page.py" line="85" />
        <source>已应用总部设定（版本 %1），设置中灰色项由总部统一</source>
        <translation>Head-office settings version %1 applied; greyed settings are set by head office</translation>
    </message>
    <message>
        <source>上传暂停：%1（恢复后自动补传）</source>
        <translation>Upload paused: %1 (catches up automatically)</translation>
    </message>
    <message>
        <source>加入</source>
        <translation>Join</translation>
    </message>
    <message>
        <source>退出</source>
        <translation>Leave</translation>
    </message>
    <message>
        <source>总部地址</source>
        <translation>Head office address</translation>
    </message>
    <message>
        <source>加入码</source>
        <translation>Enrolment code</translation>
    </message>
    <message>
        <source>连锁门店：填写总部地址和总部给的一次性加入码。加入后，平台订单经总部转到本机。</source>
        <translation>Chain stores: enter the head office address and the one-time enrolment code head office gave you. Once joined, platform orders reach this PC through head office.</translation>
    </message>
    <message>
        <source>未加入</source>
        <translation>Not joined</translation>
    </message>
    <message>
        <source>缺少设备令牌，请重新加入</source>
        <translation>No device token; join again</translation>
    </message>
    <message>
        <source>连接中</source>
        <translation>Connecting</translation>
    </message>
    <message>
        <source>已连接</source>
        <translation>Connected</translation>
    </message>
    <message>
        <source>连接异常</source>
        <translation>Connection problem</translation>
    </message>
    <message>
        <source>已加入门店：%1（%2）</source>
        <translation>Joined store: %1 (%2)</translation>
    </message>
    <message>
        <source>请填写总部地址和加入码</source>
        <translation>Enter the head office address and the enrolment code</translation>
    </message>
    <message>
        <source>加入中…</source>
        <translation>Joining…</translation>
    </message>
    <message>
        <source>加入失败：%1</source>
        <translation>Join failed: %1</translation>
    </message>
    <message>
        <source>已加入</source>
        <translation>Joined</translation>
    </message>
    <message>
        <source>退出总部</source>
        <translation>Leave head office</translation>
    </message>
    <message>
        <source>退出后本机不再接收总部转来的平台订单；总部需另行吊销本机。确定？</source>
        <translation>After leaving, this PC no longer receives platform orders from head office; head office must revoke this PC separately. Continue?</translation>
    </message>
    <message>
        <source>已退出总部</source>
        <translation>Left head office</translation>
    </message>
</context>
<context>
    <name>PosPage</name>
    <message>
        <location filename="../../app/ui/settings/pos_page.py" line="47" />
        <source>显示</source>
        <translation>Show</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/pos_page.py" line="50" />
        <location filename="../../app/ui/settings/pos_page.py" line="81" />
        <source>更换密钥</source>
        <translation>Rotate secret</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/pos_page.py" line="53" />
        <source>复制示例</source>
        <translation>Copy example</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/pos_page.py" line="60" />
        <source>签名密钥</source>
        <translation>Signing secret</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/pos_page.py" line="65" />
        <source>签名示例（Python）</source>
        <translation>Signature example (Python)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/pos_page.py" line="81" />
        <source>更换后收银系统需使用新密钥，确定？</source>
        <translation>The POS must use the new secret afterwards. Continue?</translation>
    </message>
</context>
<context>
    <name>QuoteTable</name>
    <message>
        <location filename="../../app/ui/detail/quotes.py" line="21" />
        <source>运力</source>
        <translation>Carrier</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/quotes.py" line="22" />
        <source>运费</source>
        <translation>Fee</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/quotes.py" line="23" />
        <source>预计接单</source>
        <translation>Accept ETA</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/quotes.py" line="24" />
        <source>预计取货</source>
        <translation>Pickup ETA</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/quotes.py" line="25" />
        <source>报价类型</source>
        <translation>Quote type</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/quotes.py" line="26" />
        <source>有效期</source>
        <translation>Expires</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/quotes.py" line="58" />
        <source>锁定价</source>
        <translation>Binding</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/quotes.py" line="58" />
        <source>预估</source>
        <translation>Estimate</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/quotes.py" line="64" />
        <source>派单</source>
        <translation>Dispatch</translation>
    </message>
    <message>
        <location filename="../../app/ui/detail/quotes.py" line="83" />
        <source>已过期</source>
        <translation>Expired</translation>
    </message>
</context>
<context>
    <name>RehearsalBanner</name>
    <message>
        <location filename="../../app/ui/banners.py" line="13" />
        <source>演练模式 — 所有运力均为本地沙箱，不会产生真实配送和费用</source>
        <translation>REHEARSAL MODE — every carrier is a local sandbox; no real deliveries, no charges</translation>
    </message>
</context>
<context>
    <name>StorageBanner</name>
    <message>
        <source>磁盘已满，新订单无法保存（POS 收到 503，会自动重试）— 请立即释放磁盘空间：清空回收站、删除不用的大文件；空间恢复后自动恢复，此提示自动消失</source>
        <translation>DISK FULL — new orders cannot be saved (the POS gets 503 and retries by itself). Free disk space now: empty the Recycle Bin, delete large files you do not need; JuPei recovers by itself and this message goes away</translation>
    </message>
    <message>
        <source>数据库只读，新订单无法保存（POS 收到 503，会自动重试）— 请检查数据文件夹的权限、磁盘是否被设为只读或已拔出；恢复后此提示自动消失</source>
        <translation>DATABASE READ-ONLY — new orders cannot be saved (the POS gets 503 and retries by itself). Check the data folder&apos;s permissions and whether the disk is read-only or was unplugged; this message goes away once it is fixed</translation>
    </message>
    <message>
        <source>数据库被其他程序锁住，新订单暂时无法保存（POS 收到 503，会自动重试）— 请关闭正在打开聚配数据库的程序（备份、同步盘、杀毒软件）</source>
        <translation>DATABASE LOCKED by another program — new orders cannot be saved for now (the POS gets 503 and retries by itself). Close the program holding JuPei&apos;s database (a backup, a sync folder, antivirus)</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>总部</source>
        <translation>Head office</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="33" />
        <source>设置（店长）</source>
        <translation>Settings (manager)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="43" />
        <source>门店</source>
        <translation>Store</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="43" />
        <source>派单规则</source>
        <translation>Dispatch rules</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="44" />
        <source>打印</source>
        <translation>Printing</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="44" />
        <source>提醒</source>
        <translation>Alerts</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="45" />
        <source>演练模式</source>
        <translation>Rehearsal</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="45" />
        <source>界面</source>
        <translation>Interface</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="47" />
        <source>运力</source>
        <translation>Carrier</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="50" />
        <source>收银接口</source>
        <translation>POS API</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="55" />
        <source>密钥仅本次有效：%1</source>
        <translation>Secrets last for this session only: %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="76" />
        <source>autonavi = 高德 (GCJ-02，中国大陆)；osm = OpenStreetMap (境外)；offline = 不加载瓦片；也可填写 XYZ 模板</source>
        <translation>autonavi = AutoNavi (GCJ-02, mainland China); osm = OpenStreetMap (elsewhere); offline = no tiles; or an XYZ URL template</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="79" />
        <source>地图瓦片源</source>
        <translation>Map tiles</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="115" />
        <source>无效设置：%1</source>
        <translation>Invalid settings: %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="69" />
        <source>灰色项为总部设定，本店不能修改</source>
        <translation>Greyed values are set by head office and cannot be changed here</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="130" />
        <source>未保存：%1</source>
        <translation>Not saved: %1</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="123" />
        <source>已保存</source>
        <translation>Saved</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="136" />
        <source>店长验证</source>
        <translation>Manager check</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="137" />
        <source>请输入店长 PIN</source>
        <translation>Manager PIN</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="143" />
        <source>PIN 错误</source>
        <translation>Wrong PIN</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="146" />
        <source>设置店长 PIN</source>
        <translation>Set manager PIN</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/dialog.py" line="147" />
        <source>首次使用：请设置 4-12 位数字店长 PIN</source>
        <translation>First use: set a 4-12 digit manager PIN</translation>
    </message>
    <message>
        <source>订单来源</source>
        <translation>Order sources</translation>
    </message>
    <message>
        <source>隐私</source>
        <translation>Privacy</translation>
    </message>
    <message>
        <source>超过保留天数的订单，每晚把顾客完整手机号、姓名和详细地址脱敏：只留掩码手机号（138****5678）、所在区和金额，报表和对账不受影响。</source>
        <translation>Every night, orders older than the retention period lose the customer's full phone number, name and street address: only the masked phone (138****5678), the district and the amounts stay, so reports and reconciliation are unaffected.</translation>
    </message>
</context>
<context>
    <name>TicketPreview</name>
    <message>
        <location filename="../../app/ui/print_preview.py" line="26" />
        <source>80 毫米</source>
        <translation>80 mm</translation>
    </message>
    <message>
        <location filename="../../app/ui/print_preview.py" line="27" />
        <source>58 毫米</source>
        <translation>58 mm</translation>
    </message>
    <message>
        <location filename="../../app/ui/print_preview.py" line="30" />
        <source>选择订单后显示小票预览</source>
        <translation>Select an order to preview its ticket</translation>
    </message>
    <message>
        <location filename="../../app/ui/print_preview.py" line="36" />
        <source>纸宽</source>
        <translation>Paper width</translation>
    </message>
    <message>
        <location filename="../../app/ui/print_preview.py" line="38" />
        <source>模板</source>
        <translation>Template</translation>
    </message>
    <message>
        <location filename="../../app/ui/print_preview.py" line="46" />
        <source>小票预览</source>
        <translation>Ticket preview</translation>
    </message>
    <message>
        <location filename="../../app/ui/print_preview.py" line="72" />
        <source>打印服务未配置</source>
        <translation>Printing is not configured</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <location filename="../../app/ui/tray.py" line="50" />
        <source>显示主窗口</source>
        <translation>Show window</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="52" />
        <source>确认全部提醒</source>
        <translation>Acknowledge all alerts</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="55" />
        <source>退出</source>
        <translation>Quit</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="68" />
        <source>聚配 — %n 条未确认提醒</source>
        <translation>JuPei — %n unacknowledged alert(s)</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="70" />
        <source>聚配</source>
        <translation>JuPei</translation>
    </message>
</context>
<context>
    <name>labels</name>
    <message>
        <location filename="../../app/ui/labels.py" line="23" />
        <location filename="../../app/ui/labels.py" line="48" />
        <source>新订单</source>
        <translation>New</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="24" />
        <location filename="../../app/ui/labels.py" line="54" />
        <source>待接单</source>
        <translation>Awaiting rider</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="25" />
        <source>配送中</source>
        <translation>Delivering</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="26" />
        <location filename="../../app/ui/labels.py" line="65" />
        <source>需处理</source>
        <translation>Attention</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="27" />
        <source>已完成</source>
        <translation>Done</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="28" />
        <location filename="../../app/ui/labels.py" line="62" />
        <source>已取消</source>
        <translation>Cancelled</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="49" />
        <source>排队中</source>
        <translation>Queued</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="50" />
        <source>派单中</source>
        <translation>Dispatching</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="51" />
        <source>已询价</source>
        <translation>Quoted</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="52" />
        <source>提交中</source>
        <translation>Submitting</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="53" />
        <source>下单失败</source>
        <translation>Create failed</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="55" />
        <source>已接单</source>
        <translation>Accepted</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="56" />
        <source>已到店</source>
        <translation>At store</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="57" />
        <source>已取货</source>
        <translation>Picked up</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="58" />
        <source>已到达</source>
        <translation>At drop-off</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="59" />
        <source>已送达</source>
        <translation>Delivered</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="60" />
        <source>自配送完成</source>
        <translation>Self-delivered</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="61" />
        <source>取消中</source>
        <translation>Cancelling</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="63" />
        <source>返还中</source>
        <translation>Returning</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="64" />
        <source>已返还</source>
        <translation>Returned</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="66" />
        <source>未知</source>
        <translation>Unknown</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="72" />
        <source>收银</source>
        <translation>POS</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="73" />
        <source>美团</source>
        <translation>Meituan</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="74" />
        <source>饿了么</source>
        <translation>Ele.me</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="75" />
        <source>小程序</source>
        <translation>Mini program</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="76" />
        <source>电话</source>
        <translation>Phone</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="77" />
        <source>其他</source>
        <translation>Other</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="83" />
        <source>长时间无骑手接单</source>
        <translation>No rider yet</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="84" />
        <source>商品返还中</source>
        <translation>Goods returning</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="85" />
        <source>取消处理中</source>
        <translation>Cancel pending</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="86" />
        <source>轨迹长时间未更新</source>
        <translation>Tracking stale</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="87" />
        <source>需要人工处理</source>
        <translation>Needs attention</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="88" />
        <source>骑手取消</source>
        <translation>Rider cancelled</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="89" />
        <source>运力平台出错</source>
        <translation>Carrier error</translation>
    </message>
    <message>
        <source>平台状态同步被拒</source>
        <translation>Platform refused a status sync</translation>
    </message>
    <message>
        <source>数据库无法写入（磁盘满、只读或被占用）</source>
        <translation>Database cannot be written (disk full, read-only or locked)</translation>
    </message>
    <message>
        <source>磁盘已满，操作未保存 — 请释放磁盘空间后重试</source>
        <translation>Disk full, not saved — free disk space, then try again</translation>
    </message>
    <message>
        <source>数据库只读，操作未保存 — 请检查数据文件夹的权限后重试</source>
        <translation>Database is read-only, not saved — check the data folder's permissions, then try again</translation>
    </message>
    <message>
        <source>数据库被其他程序占用，操作未保存 — 请稍后重试</source>
        <translation>Database is locked by another program, not saved — try again shortly</translation>
    </message>
    <message>
        <location filename="../../app/ui/labels.py" line="100" />
        <source>zh</source>
        <translation>en</translation>
    </message>
    <message>
        <source>下单结果未知</source>
        <translation>Create outcome unknown</translation>
    </message>
    <message>
        <source>取消未获确认</source>
        <translation>Cancel not confirmed</translation>
    </message>
    <message>
        <source>商品已返还</source>
        <translation>Goods returned</translation>
    </message>
    <message>
        <source>平台已取消</source>
        <translation>Cancelled by the platform</translation>
    </message>
    <message>
        <source>平台已取消，配送取消未成功</source>
        <translation>Cancelled by the platform; the delivery cancel failed</translation>
    </message>
    <message>
        <source>平台已接管配送</source>
        <translation>The platform took over the delivery</translation>
    </message>
    <message>
        <source>平台配送无人接单</source>
        <translation>Platform delivery has no rider</translation>
    </message>
    <message>
        <source>打印机故障</source>
        <translation>Printer fault</translation>
    </message>
    <message>
        <source>派单失败</source>
        <translation>Dispatch failed</translation>
    </message>
    <message>
        <source>自动接单失败，请手动接单</source>
        <translation>Auto-accept failed; accept the order by hand</translation>
    </message>
    <message>
        <source>订单过旧，未自动派单</source>
        <translation>Too old, not dispatched automatically</translation>
    </message>
    <message>
        <source>运力平台报异常</source>
        <translation>Carrier reported an exception</translation>
    </message>
    <message>
        <source>运力账户余额不足</source>
        <translation>Carrier account balance too low</translation>
    </message>
    <message>
        <source>顾客申请取消</source>
        <translation>Customer asks to cancel</translation>
    </message>
    <message>
        <source>顾客申请退款</source>
        <translation>Customer asks for a refund</translation>
    </message>
    <message>
        <source>：</source>
        <translation>: </translation>
    </message>
</context>
<context>
    <name>settings</name>
    <message>
        <location filename="../../app/ui/settings/headoffice.py" line="22" />
        <source>总部设定（只读，由总部统一下发）</source>
        <translation>Set by head office (read-only, sent down by head office)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="8" />
        <source>门店名称</source>
        <translation>Store name</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="8" />
        <source>门店地址</source>
        <translation>Store address</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="8" />
        <source>门店电话</source>
        <translation>Store phone</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="9" />
        <source>城市</source>
        <translation>City</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="9" />
        <source>城市区号</source>
        <translation>City code</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="11" />
        <source>默认货品类别</source>
        <translation>Default goods category</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="12" />
        <source>币种 (ISO 4217，如 CNY、USD)</source>
        <translation>Currency (ISO 4217, e.g. CNY, USD)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="13" />
        <source>国家/地区 (ISO 3166，如 CN、US)</source>
        <translation>Country/region (ISO 3166, e.g. CN, US)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="9" />
        <source>纬度 (GCJ-02)</source>
        <translation>Latitude (GCJ-02)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="10" />
        <source>经度 (GCJ-02)</source>
        <translation>Longitude (GCJ-02)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="11" />
        <source>派单模式</source>
        <translation>Dispatch mode</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="11" />
        <source>派单策略</source>
        <translation>Strategy</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="12" />
        <source>询价总时限 (秒)</source>
        <translation>Quote deadline (s)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="12" />
        <source>单个运力询价超时 (秒)</source>
        <translation>Per-carrier quote timeout (s)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="13" />
        <source>接单超时 (秒)</source>
        <translation>Accept timeout (s)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="13" />
        <source>同时呼叫多家</source>
        <translation>Race carriers</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="14" />
        <source>最多同时呼叫</source>
        <translation>Race at most</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="14" />
        <source>优先运力</source>
        <translation>Preferred carriers</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="15" />
        <source>优先运力独占时间 (分)</source>
        <translation>Preferred-only window (min)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="15" />
        <source>排除运力</source>
        <translation>Excluded carriers</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="16" />
        <source>运费上限 (分)</source>
        <translation>Fee cap (fen)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="16" />
        <source>最长取货时间 (秒)</source>
        <translation>Max pickup time (s)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="17" />
        <source>距离分段</source>
        <translation>Distance bands</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="17" />
        <source>渠道规则</source>
        <translation>Channel rules</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="18" />
        <source>价格权重</source>
        <translation>Price weight</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="18" />
        <source>时效权重</source>
        <translation>Time weight</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="19" />
        <source>可靠性权重</source>
        <translation>Reliability weight</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="19" />
        <source>自动加小费阶梯 (分)</source>
        <translation>Auto tip ladder (fen)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="20" />
        <source>轨迹过期 (秒)</source>
        <translation>Stale tracking after (s)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="21" />
        <source>监听地址</source>
        <translation>Listen address</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="21" />
        <source>端口</source>
        <translation>Port</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="21" />
        <source>允许局域网访问</source>
        <translation>Allow LAN access</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="22" />
        <source>默认派单方式</source>
        <translation>Default dispatch</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="22" />
        <source>状态回调地址</source>
        <translation>Status webhook URL</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="23" />
        <source>打印机</source>
        <translation>Printers</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="23" />
        <source>新订单自动打印</source>
        <translation>Print new orders</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="24" />
        <source>派单后打印</source>
        <translation>Print after dispatch</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="24" />
        <source>骑手接单后打印</source>
        <translation>Print when a rider accepts</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="25" />
        <source>小票模板</source>
        <translation>Ticket template</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="25" />
        <source>标签模板</source>
        <translation>Label template</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="26" />
        <source>提示音</source>
        <translation>Sound</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="26" />
        <source>语音播报</source>
        <translation>Voice</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="26" />
        <source>重复提醒间隔 (秒)</source>
        <translation>Repeat alerts every (s)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="27" />
        <source>无骑手接单提醒 (分钟)</source>
        <translation>No-rider alert after (min)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="27" />
        <source>音量</source>
        <translation>Volume</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="28" />
        <source>演练模式</source>
        <translation>Rehearsal</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="28" />
        <source>演练时钟倍速</source>
        <translation>Rehearsal clock speed</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="28" />
        <source>沙箱端口</source>
        <translation>Sandbox port</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="29" />
        <source>随机种子</source>
        <translation>Random seed</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="29" />
        <source>外部沙箱地址</source>
        <translation>External sandbox URL</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="29" />
        <source>模拟收银订单间隔 (秒)</source>
        <translation>Sample POS order every (s)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="29" />
        <source>模拟收银订单上限</source>
        <translation>Sample POS orders per session</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="29" />
        <source>模拟美团/饿了么订单</source>
        <translation>Simulate Meituan/Ele.me orders</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="29" />
        <source>外部平台模拟器地址</source>
        <translation>External platform simulator URL</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="29" />
        <source>平台模拟订单间隔 (秒)</source>
        <translation>Platform sample order every (s)</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="29" />
        <source>平台模拟订单上限</source>
        <translation>Platform sample orders per session</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="30" />
        <source>界面语言</source>
        <translation>Language</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="30" />
        <source>看板显示天数</source>
        <translation>Board days</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings/labels.py" line="30" />
        <source>显示完整手机号</source>
        <translation>Show full phone numbers</translation>
    </message>
    <message>
        <source>顾客电话和地址保留天数</source>
        <translation>Keep customers' phones and addresses (days)</translation>
    </message>
</context>
<context>
    <name>SourcesPage</name>
    <message>
        <source>zh</source>
        <translation>en</translation>
    </message>
    <message>
        <source>关闭</source>
        <translation>Off</translation>
    </message>
    <message>
        <source>推送</source>
        <translation>Push</translation>
    </message>
    <message>
        <source>拉取</source>
        <translation>Pull</translation>
    </message>
    <message>
        <source>应用 ID (app_id)</source>
        <translation>App ID (app_id)</translation>
    </message>
    <message>
        <source>应用密钥 (app_secret)</source>
        <translation>App secret (app_secret)</translation>
    </message>
    <message>
        <source>门店编码 (app_poi_code)</source>
        <translation>Store code (app_poi_code)</translation>
    </message>
    <message>
        <source>应用 client_id (有赞)</source>
        <translation>App client_id (Youzan)</translation>
    </message>
    <message>
        <source>应用密钥 (client_secret)</source>
        <translation>App secret (client_secret)</translation>
    </message>
    <message>
        <source>店铺 ID (kdt_id)</source>
        <translation>Shop ID (kdt_id)</translation>
    </message>
    <message>
        <source>应用 client_key (抖音)</source>
        <translation>App client_key (Douyin)</translation>
    </message>
    <message>
        <source>小程序 AppID (ma_app_id)</source>
        <translation>Mini-app AppID (ma_app_id)</translation>
    </message>
    <message>
        <source>门店 ID (poi_id)</source>
        <translation>Store ID (poi_id)</translation>
    </message>
    <message>
        <source>来客商户根账户 ID (account_id)</source>
        <translation>Laike merchant root account ID (account_id)</translation>
    </message>
    <message>
        <source>门店 ID (shopIdenty, 客如云)</source>
        <translation>Store ID (shopIdenty, Keruyun)</translation>
    </message>
    <message>
        <source>门店授权令牌 (token, 客如云)</source>
        <translation>Store authorisation token (token, Keruyun)</translation>
    </message>
    <message>
        <source>集团 ID (groupID, 哗啦啦)</source>
        <translation>Group ID (groupID, Hualala)</translation>
    </message>
    <message>
        <source>该平台不推送订单：按拉单间隔拉取</source>
        <translation>This platform pushes no orders: they are pulled at the pull interval</translation>
    </message>
    <message>
        <source>应用 Key (app_key)</source>
        <translation>App key (app_key)</translation>
    </message>
    <message>
        <source>店铺 ID (shop_id)</source>
        <translation>Shop ID (shop_id)</translation>
    </message>
    <message>
        <source>访问令牌 (access_token)</source>
        <translation>Access token (access_token)</translation>
    </message>
    <message>
        <source>刷新令牌 (refresh_token)</source>
        <translation>Refresh token (refresh_token)</translation>
    </message>
    <message>
        <source>开发者 ID (MTOp)</source>
        <translation>Developer ID (MTOp)</translation>
    </message>
    <message>
        <source>签名密钥 (MTOp)</source>
        <translation>Sign key (MTOp)</translation>
    </message>
    <message>
        <source>门店授权令牌 (MTOp)</source>
        <translation>Store auth token (MTOp)</translation>
    </message>
    <message>
        <source>门店 ePoiId (MTOp)</source>
        <translation>Store ePoiId (MTOp)</translation>
    </message>
    <message>
        <source>接单方式</source>
        <translation>Mode</translation>
    </message>
    <message>
        <source>接口地址</source>
        <translation>API address</translation>
    </message>
    <message>
        <source>推送地址前缀</source>
        <translation>Push base URL</translation>
    </message>
    <message>
        <source>测试连接</source>
        <translation>Test connection</translation>
    </message>
    <message>
        <source>新订单自动接单</source>
        <translation>Confirm new orders automatically</translation>
    </message>
    <message>
        <source>自动接单</source>
        <translation>Auto confirm</translation>
    </message>
    <message>
        <source> 秒</source>
        <translation> s</translation>
    </message>
    <message>
        <source>拉单间隔</source>
        <translation>Pull interval</translation>
    </message>
    <message>
        <source> 分钟</source>
        <translation> min</translation>
    </message>
    <message>
        <source>平台配送超过该时间无骑手接单时提示转自配送</source>
        <translation>Offer self delivery when the platform finds no rider within this time</translation>
    </message>
    <message>
        <source>平台配送超时</source>
        <translation>Platform delivery stall</translation>
    </message>
    <message>
        <source>已保存在系统钥匙串（留空不修改）</source>
        <translation>Stored in the OS keyring (leave empty to keep)</translation>
    </message>
    <message>
        <source>保存到系统钥匙串</source>
        <translation>Saved to the OS keyring</translation>
    </message>
    <message>
        <source>仅推送模式需要：平台后台可访问的公网地址（如经中转）</source>
        <translation>Push mode only: a public address the platform can reach (e.g. through a relay)</translation>
    </message>
    <message>
        <source>在平台后台填写：</source>
        <translation>Enter in the platform console:</translation>
    </message>
    <message>
        <source>测试中…</source>
        <translation>Testing…</translation>
    </message>
    <message>
        <source>与饿了么开放平台应用设置的回调地址一致</source>
        <translation>Must equal the callback address set for the app on the Ele.me open platform</translation>
    </message>
    <message>
        <source>授权回调地址</source>
        <translation>OAuth callback address</translation>
    </message>
    <message>
        <source>点击“授权…”后在浏览器中登录饿了么商家账号并同意</source>
        <translation>Click “Authorise…”, sign in with the Ele.me merchant account in the browser and approve</translation>
    </message>
    <message>
        <source>授权…</source>
        <translation>Authorise…</translation>
    </message>
    <message>
        <source>店铺授权</source>
        <translation>Shop authorisation</translation>
    </message>
    <message>
        <source>粘贴授权码，或浏览器跳转后的完整地址</source>
        <translation>Paste the code, or the full address the browser landed on</translation>
    </message>
    <message>
        <source>换取令牌</source>
        <translation>Get tokens</translation>
    </message>
    <message>
        <source>授权码</source>
        <translation>Authorisation code</translation>
    </message>
    <message>
        <source>请先填写应用 Key (app_key)</source>
        <translation>Enter the app key (app_key) first</translation>
    </message>
    <message>
        <source>美团外卖、饿了么的自配送订单自动进入看板；密钥只保存在系统钥匙串。</source>
        <translation>Self-delivery orders from Meituan Waimai and Ele.me reach the board by themselves; secrets are kept only in the OS keyring.</translation>
    </message>
</context>
<context>
    <name>badges</name>
    <message>
        <source>平台配送</source>
        <translation>Platform delivery</translation>
    </message>
    <message>
        <source>自取</source>
        <translation>Pickup</translation>
    </message>
    <message>
        <source>顾客申请退款</source>
        <translation>Refund requested</translation>
    </message>
    <message>
        <source>顾客申请取消</source>
        <translation>Cancel requested</translation>
    </message>
</context>
<context>
    <name>SourceBox</name>
    <message>
        <source>待接单</source>
        <translation>Awaiting accept</translation>
    </message>
    <message>
        <source>已接单</source>
        <translation>Accepted</translation>
    </message>
    <message>
        <source>已完成</source>
        <translation>Completed</translation>
    </message>
    <message>
        <source>已取消</source>
        <translation>Cancelled</translation>
    </message>
    <message>
        <source>接单</source>
        <translation>Accept</translation>
    </message>
    <message>
        <source>拒单</source>
        <translation>Reject</translation>
    </message>
    <message>
        <source>转自配送</source>
        <translation>Deliver ourselves</translation>
    </message>
    <message>
        <source>来源</source>
        <translation>Source</translation>
    </message>
    <message>
        <source>平台单号</source>
        <translation>Platform order no.</translation>
    </message>
    <message>
        <source>配送方式</source>
        <translation>Fulfilment</translation>
    </message>
    <message>
        <source>不由聚配派单</source>
        <translation>not dispatched by JuPei</translation>
    </message>
    <message>
        <source>平台状态</source>
        <translation>Platform state</translation>
    </message>
    <message>
        <source>平台配送超时未接单，可转自配送</source>
        <translation>Platform delivery found no rider in time: you can deliver it yourself</translation>
    </message>
    <message>
        <source>拒单原因（将告知平台）</source>
        <translation>Reason (sent to the platform)</translation>
    </message>
    <message>
        <source>改由本店自配送？平台将不再派骑手，之后可在聚配询价派单。</source>
        <translation>Deliver this order ourselves? The platform stops looking for a rider; then quote and dispatch it in JuPei.</translation>
    </message>
    <message>
        <source>重新同步</source>
        <translation>Sync again</translation>
    </message>
    <message>
        <source>平台拒绝了 %1 条状态同步，请在平台核对后点“重新同步”</source>
        <translation>The platform refused %1 status sync(s); check on the platform, then click “Sync again”</translation>
    </message>
</context>
<context>
    <name>SourceHealth</name>
    <message>
        <source>启动中</source>
        <translation>Starting</translation>
    </message>
    <message>
        <source>正在补单…</source>
        <translation>Catching up…</translation>
    </message>
    <message>
        <source>正常</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>异常</source>
        <translation>Error</translation>
    </message>
    <message>
        <source>无</source>
        <translation>none</translation>
    </message>
    <message>
        <source>最近推送</source>
        <translation>Last push</translation>
    </message>
    <message>
        <source>最近拉取</source>
        <translation>Last pull</translation>
    </message>
    <message>
        <source>总部中转</source>
        <translation>Hub relay</translation>
    </message>
    <message>
        <source>状态同步：待发送 %1 条，平台拒绝 %2 条</source>
        <translation>Status sync: %1 pending, %2 refused by the platform</translation>
    </message>
</context>
<context>
    <name>timeline</name>
    <message>
        <source>平台</source>
        <translation>Platform</translation>
    </message>
    <message>
        <source>已发送</source>
        <translation>sent</translation>
    </message>
    <message>
        <source>失败，稍后重试</source>
        <translation>failed, retrying</translation>
    </message>
    <message>
        <source>平台拒绝，已停止重试</source>
        <translation>refused by the platform, not retried</translation>
    </message>
    <message>
        <source>同步%1：</source>
        <translation>Sync to %1: </translation>
    </message>
    <message>
        <source>骑手位置</source>
        <translation>rider position</translation>
    </message>
    <message>
        <source>收到订单</source>
        <translation>Order received</translation>
    </message>
    <message>
        <source>骑手</source>
        <translation>Rider</translation>
    </message>
    <message>
        <source>收银机</source>
        <translation>POS</translation>
    </message>
    <message>
        <source>电话下单</source>
        <translation>Phone order</translation>
    </message>
    <message>
        <source>模拟</source>
        <translation>Simulated</translation>
    </message>
    <message>
        <source>收银员</source>
        <translation>Cashier</translation>
    </message>
    <message>
        <source>店长</source>
        <translation>Manager</translation>
    </message>
    <message>
        <source>系统</source>
        <translation>System</translation>
    </message>
    <message>
        <source>自动派单</source>
        <translation>Auto dispatch</translation>
    </message>
    <message>
        <source>重新派单</source>
        <translation>re-dispatch</translation>
    </message>
    <message>
        <source>改为自配送</source>
        <translation>changed to self delivery</translation>
    </message>
    <message>
        <source>同时呼叫落选</source>
        <translation>lost the race</translation>
    </message>
    <message>
        <source>平台已取消订单，取消费 %1</source>
        <translation>Platform cancelled the order, cancel fee %1</translation>
    </message>
    <message>
        <source>平台已全额退款，订单已取消，取消费 %1</source>
        <translation>Platform refunded in full, order cancelled, cancel fee %1</translation>
    </message>
    <message>
        <source>订单已取消（%1），取消费 %2</source>
        <translation>Order cancelled (%1), cancel fee %2</translation>
    </message>
    <message>
        <source>订单已取消，取消费 %1</source>
        <translation>Order cancelled, cancel fee %1</translation>
    </message>
    <message>
        <source>%1 取消配送（%2）：%3，取消费 %4</source>
        <translation>%1 delivery cancel (%2): %3, cancel fee %4</translation>
    </message>
    <message>
        <source>%1 加小费 %2，小费合计 %3</source>
        <translation>%1 tip +%2, tips in total %3</translation>
    </message>
    <message>
        <source>暂无骑手接单：%1 小费加到 %2</source>
        <translation>No rider yet: tip at %1 raised to %2</translation>
    </message>
    <message>
        <source>同时呼叫 %1，最多多付 %2</source>
        <translation>Racing %1, at most %2 extra at risk</translation>
    </message>
    <message>
        <source>%1 已接单，取消 %2（取消费 %3）</source>
        <translation>%1 accepted; %2 cancelled (cancel fee %3)</translation>
    </message>
    <message>
        <source>%1 报价已过期，新报价 %2</source>
        <translation>%1 quote expired, new quote %2</translation>
    </message>
    <message>
        <source>已派单给 %1（运费 %2）</source>
        <translation>Dispatched to %1 (fee %2)</translation>
    </message>
    <message>
        <source>%1 下单失败，尝试下一家运力</source>
        <translation>%1 failed, trying the next carrier</translation>
    </message>
    <message>
        <source>%1 下单结果未知，正在查询</source>
        <translation>%1 create outcome unknown, querying</translation>
    </message>
    <message>
        <source>%1 已收到此单（%2），不再重发</source>
        <translation>%1 has the order (%2), not re-sent</translation>
    </message>
    <message>
        <source>%1 未收到下单，用同一单号重发</source>
        <translation>%1 never got the order, re-sent with the same key</translation>
    </message>
    <message>
        <source>%1 下单结果未知，用同一单号重发（该运力视为同一配送）</source>
        <translation>%1 create outcome unknown: re-sent with the same key (the same delivery for this carrier)</translation>
    </message>
    <message>
        <source>%1 下单结果未知，为免重复配送未重发，请向运力确认或取消</source>
        <translation>%1 create outcome unknown; not re-sent to avoid two riders: check with the carrier, or cancel</translation>
    </message>
    <message>
        <source>将于 %1 自动派单</source>
        <translation>Auto-dispatch at %1</translation>
    </message>
    <message>
        <source>暂时连不上运力，订单排队，恢复后自动派单</source>
        <translation>No carrier reachable; the order waits and is dispatched when one answers</translation>
    </message>
    <message>
        <source>自配送：由门店自己的骑手配送</source>
        <translation>Self delivery: the shop's own rider delivers</translation>
    </message>
    <message>
        <source>收银机取消订单：%1</source>
        <translation>Cancelled at the POS: %1</translation>
    </message>
    <message>
        <source>收银机取消订单</source>
        <translation>Cancelled at the POS</translation>
    </message>
    <message>
        <source>没有可用的运力</source>
        <translation>No eligible carrier</translation>
    </message>
    <message>
        <source>选择 %1（运费 %2）：%3</source>
        <translation>Chose %1 (fee %2): %3</translation>
    </message>
    <message>
        <source>小费阶梯</source>
        <translation>Tip ladder</translation>
    </message>
    <message>
        <source>同时呼叫</source>
        <translation>Race</translation>
    </message>
    <message>
        <source>自动换运力</source>
        <translation>Failover</translation>
    </message>
    <message>
        <source>恢复后重派</source>
        <translation>Retry when online</translation>
    </message>
    <message>
        <source>未知</source>
        <translation>unknown</translation>
    </message>
    <message>
        <source>平台已退款</source>
        <translation>Platform refunded</translation>
    </message>
    <message>
        <source>平台已取消</source>
        <translation>Platform cancelled</translation>
    </message>
    <message>
        <source>平台已取消订单（配送已结束：%1）</source>
        <translation>Platform cancelled the order (delivery already over: %1)</translation>
    </message>
    <message>
        <source>%1 %2，正在取消配送（预计取消费 %3）</source>
        <translation>%1 %2, cancelling the delivery (expected fee %3)</translation>
    </message>
    <message>
        <source>%1 %2，配送已取消（取消费 %3）</source>
        <translation>%1 %2, delivery cancelled (cancel fee %3)</translation>
    </message>
    <message>
        <source>%1 %2，订单已取消</source>
        <translation>%1 %2, order cancelled</translation>
    </message>
    <message>
        <source>%1 %2，但配送取消未成功，请手动处理：%3</source>
        <translation>%1 %2, but the delivery cancel failed; handle it by hand: %3</translation>
    </message>
    <message>
        <source>%1 顾客申请退款，请在平台处理</source>
        <translation>%1 Customer asks for a refund: handle it on the platform</translation>
    </message>
    <message>
        <source>%1 顾客申请取消，请在平台处理</source>
        <translation>%1 Customer asks to cancel: handle it on the platform</translation>
    </message>
    <message>
        <source>平台配送</source>
        <translation>Platform delivery</translation>
    </message>
    <message>
        <source>到店自取</source>
        <translation>Pickup</translation>
    </message>
    <message>
        <source>商家自配送</source>
        <translation>Shop delivery</translation>
    </message>
    <message>
        <source>%1 平台报告配送方式 %2（已转自配送，按自配送处理）</source>
        <translation>%1 The platform reports %2 (already switched to own delivery; kept as own delivery)</translation>
    </message>
    <message>
        <source>%1 平台改为商家自配送，由聚配呼叫骑手</source>
        <translation>%1 The platform switched to shop delivery; JuPei calls a rider</translation>
    </message>
    <message>
        <source>%1 平台改为%2，聚配不再派单</source>
        <translation>%1 The platform switched to %2; JuPei no longer dispatches</translation>
    </message>
    <message>
        <source>；聚配的配送仍在进行，请确认是否取消</source>
        <translation>; JuPei's delivery is still running: decide whether to cancel it</translation>
    </message>
    <message>
        <source>%1 平台订单已完成</source>
        <translation>%1 Platform order completed</translation>
    </message>
    <message>
        <source>%1 平台配送：%2</source>
        <translation>%1 Platform delivery: %2</translation>
    </message>
    <message>
        <source>%1 已接单</source>
        <translation>%1 Accepted on the platform</translation>
    </message>
    <message>
        <source>%1 已拒单：%2</source>
        <translation>%1 Rejected on the platform: %2</translation>
    </message>
    <message>
        <source>%1 已转自配送，由聚配呼叫骑手</source>
        <translation>%1 Switched to own delivery; JuPei calls a rider</translation>
    </message>
    <message>
        <source>%1 自动接单失败，请手动接单</source>
        <translation>%1 Auto-accept failed; accept the order by hand</translation>
    </message>
    <message>
        <source>%1 平台配送超时未接单，可转自配送</source>
        <translation>%1 Platform delivery found no rider in time: you can deliver it yourself</translation>
    </message>
    <message>
        <source>照片</source>
        <translation>Photo</translation>
    </message>
    <message>
        <source>签名</source>
        <translation>Signature</translation>
    </message>
    <message>
        <source>收货码</source>
        <translation>PIN</translation>
    </message>
    <message>
        <source>%1 送达凭证：%2</source>
        <translation>%1 proof of delivery: %2</translation>
    </message>
</context>
<context>
    <name>HqWindow</name>
    <message>
        <source>%1 家门店，已显示 %2 单（只读）</source>
        <translation>%1 stores, %2 orders shown (read-only)</translation>
    </message>
    <message>
        <source>全部门店</source>
        <translation>All stores</translation>
    </message>
    <message>
        <source>净配送成本</source>
        <translation>Net delivery cost</translation>
    </message>
    <message>
        <source>分组</source>
        <translation>Group</translation>
    </message>
    <message>
        <source>刷新</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <source>加载更早的订单</source>
        <translation>Load older orders</translation>
    </message>
    <message>
        <source>取消率</source>
        <translation>Cancel rate</translation>
    </message>
    <message>
        <source>在线收银机</source>
        <translation>Counter PCs</translation>
    </message>
    <message>
        <source>密码</source>
        <translation>Password</translation>
    </message>
    <message>
        <source>导出多门店对账表</source>
        <translation>Export reconciliation for several stores</translation>
    </message>
    <message>
        <source>导出对账表…</source>
        <translation>Export reconciliation…</translation>
    </message>
    <message>
        <source>已同步订单</source>
        <translation>Orders synced</translation>
    </message>
    <message>
        <source>平均接单(分钟)</source>
        <translation>Mean min to accept</translation>
    </message>
    <message>
        <source>平均送达(分钟)</source>
        <translation>Mean min to deliver</translation>
    </message>
    <message>
        <source>总部服务器地址</source>
        <translation>Hub address</translation>
    </message>
    <message>
        <source>最近同步</source>
        <translation>Last sync</translation>
    </message>
    <message>
        <source>正在登录…</source>
        <translation>Logging in…</translation>
    </message>
    <message>
        <source>用户名</source>
        <translation>User name</translation>
    </message>
    <message>
        <source>登录</source>
        <translation>Log in</translation>
    </message>
    <message>
        <source>登录失败：</source>
        <translation>Login failed: </translation>
    </message>
    <message>
        <source>聚配总部</source>
        <translation>JuPei Head Office</translation>
    </message>
    <message>
        <source>聚配总部 — 登录</source>
        <translation>JuPei Head Office — log in</translation>
    </message>
    <message>
        <source>营业日</source>
        <translation>Business date</translation>
    </message>
    <message>
        <source>订单</source>
        <translation>Orders</translation>
    </message>
    <message>
        <source>请填写服务器地址、用户名和密码</source>
        <translation>Enter the hub address, user name and password</translation>
    </message>
    <message>
        <source>读取总部数据失败：</source>
        <translation>Could not read from the hub: </translation>
    </message>
    <message>
        <source>跨店报表</source>
        <translation>Cross-store reports</translation>
    </message>
    <message>
        <source>配送平台</source>
        <translation>Carrier</translation>
    </message>
    <message>
        <source>门店</source>
        <translation>Store</translation>
    </message>
    <message>
        <source>门店 × 配送平台 × 营业日</source>
        <translation>Store × carrier × business date</translation>
    </message>
    <message>
        <source>门店看板（只读）</source>
        <translation>Store boards (read-only)</translation>
    </message>
</context>
<context>
    <name>DiagnosticsDialog</name>
    <message>
        <source>密钥（只用于脱敏）</source>
        <translation>Secrets (used only to redact)</translation>
    </message>
    <message>
        <source>版本和系统</source>
        <translation>Version and system</translation>
    </message>
    <message>
        <source>配置</source>
        <translation>Configuration</translation>
    </message>
    <message>
        <source>数据库检查</source>
        <translation>Database check</translation>
    </message>
    <message>
        <source>运力、订单来源和打印机</source>
        <translation>Carriers, order sources and printers</translation>
    </message>
    <message>
        <source>日志</source>
        <translation>Logs</translation>
    </message>
    <message>
        <source>打包</source>
        <translation>Packing</translation>
    </message>
    <message>
        <source>诊断包</source>
        <translation>Diagnostics pack</translation>
    </message>
    <message>
        <source>把版本、系统、配置（不含密钥）、最近的日志（已脱敏）、数据库检查和运行状况打包成一个 ZIP，发给客服。包里没有密钥，也没有完整的手机号。</source>
        <translation>Packs the version, system, configuration (without secrets), recent logs (redacted), a database check and the health of the desk into one ZIP to send to support. It holds no secrets and no full phone numbers.</translation>
    </message>
    <message>
        <source>浏览…</source>
        <translation>Browse…</translation>
    </message>
    <message>
        <source>生成诊断包</source>
        <translation>Make diagnostics pack</translation>
    </message>
    <message>
        <source>打开所在文件夹</source>
        <translation>Open folder</translation>
    </message>
    <message>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>保存到</source>
        <translation>Save to</translation>
    </message>
    <message>
        <source>保存诊断包</source>
        <translation>Save diagnostics pack</translation>
    </message>
    <message>
        <source>正在收集：%1</source>
        <translation>Collecting: %1</translation>
    </message>
    <message>
        <source>生成失败：%1</source>
        <translation>Could not make the pack: %1</translation>
    </message>
    <message>
        <source>已保存：%1</source>
        <translation>Saved: %1</translation>
    </message>
</context>
<context>
    <name>BackupDialog</name>
    <message>
        <source>备份/恢复</source>
        <translation>Backup/Restore</translation>
    </message>
    <message>
        <source>每天自动备份一次（保留 7 天 + 4 周）。密钥（运力密钥、POS 密钥、店长 PIN）不在备份中。</source>
        <translation>A backup is made automatically every day (7 days + 4 weeks kept). Secrets (carrier keys, POS secret, manager PIN) are not in a backup.</translation>
    </message>
    <message>
        <source>立即备份</source>
        <translation>Back up now</translation>
    </message>
    <message>
        <source>备份到…</source>
        <translation>Back up to…</translation>
    </message>
    <message>
        <source>从备份恢复…</source>
        <translation>Restore from backup…</translation>
    </message>
    <message>
        <source>备份文件夹：%1</source>
        <translation>Backup folder: %1</translation>
    </message>
    <message>
        <source>正在备份…</source>
        <translation>Backing up…</translation>
    </message>
    <message>
        <source>备份失败：%1</source>
        <translation>Backup failed: %1</translation>
    </message>
    <message>
        <source>已备份：%1</source>
        <translation>Backed up: %1</translation>
    </message>
    <message>
        <source>选择备份位置</source>
        <translation>Choose where to back up</translation>
    </message>
    <message>
        <source>选择备份文件</source>
        <translation>Choose a backup file</translation>
    </message>
    <message>
        <source>用这个备份替换当前数据库？当前数据库会保留一份。恢复在重新启动聚配时进行。</source>
        <translation>Replace the current database with this backup? A copy of the current database is kept. The restore happens when JuPei starts again.</translation>
    </message>
    <message>
        <source>从备份恢复</source>
        <translation>Restore from backup</translation>
    </message>
    <message>
        <source>正在检查备份…</source>
        <translation>Checking the backup…</translation>
    </message>
    <message>
        <source>不能恢复：%1</source>
        <translation>Cannot restore: %1</translation>
    </message>
    <message>
        <source>备份已检查无误。请退出并重新启动聚配，启动时完成恢复。</source>
        <translation>The backup checked out. Quit and start JuPei again: the restore is done at start.</translation>
    </message>
</context>
<context>
    <name>UpgradeFailed</name>
    <message>
        <source>数据库升级失败</source>
        <translation>Database upgrade failed</translation>
    </message>
    <message>
        <source>新版本无法升级这个数据库。原数据库文件没有改动，订单一条不少。</source>
        <translation>This version could not upgrade the database. The database file was left untouched; no order is lost.</translation>
    </message>
    <message>
        <source>请重新安装上一个版本继续营业（它仍能打开这个数据库），并把「详细信息」或诊断包（python -m app diagnose --zip）发给客服。</source>
        <translation>Reinstall the previous version to keep trading (it still opens this database), and send the details or a diagnostics pack (python -m app diagnose --zip) to support.</translation>
    </message>
</context>
<context>
    <name>UpdateDialog</name>
    <message>
        <source>更新未开启：请在配置文件的 [updates] 中填写 url。</source>
        <translation>Updates are off: set url under [updates] in the config file.</translation>
    </message>
    <message>
        <source>这个安装没有更新组件（tufup）。</source>
        <translation>This installation has no update component (tufup).</translation>
    </message>
    <message>
        <source>聚配不是从安装包运行的（源码或 pip 安装）：请用 pip 更新。</source>
        <translation>JuPei is not running from the installed bundle (source or pip install): update with pip.</translation>
    </message>
    <message>
        <source>安装包里缺少更新签名的信任根（update_root.json）。</source>
        <translation>The bundle lacks the trusted root for update signatures (update_root.json).</translation>
    </message>
    <message>
        <source>连不上更新服务器，请检查网络后再试。</source>
        <translation>Cannot reach the update server; check the network and try again.</translation>
    </message>
    <message>
        <source>更新信息的签名校验失败，已拒绝（可能被篡改或是旧版本）。</source>
        <translation>The update information failed signature checks and was refused (tampered with, or older).</translation>
    </message>
    <message>
        <source>下载的安装包校验失败，已拒绝，没有安装任何文件。</source>
        <translation>The downloaded package failed verification and was refused; nothing was installed.</translation>
    </message>
    <message>
        <source>需要店长同意才能安装。</source>
        <translation>The manager must agree before installing.</translation>
    </message>
    <message>
        <source>还有配送进行中：请在高峰过后再安装更新。</source>
        <translation>Deliveries are still under way: install the update after the rush.</translation>
    </message>
    <message>
        <source>没有可安装的新版本。</source>
        <translation>No newer version to install.</translation>
    </message>
    <message>
        <source>更新失败，详见日志。</source>
        <translation>The update failed; see the log.</translation>
    </message>
    <message>
        <source>检查更新</source>
        <translation>Check for updates</translation>
    </message>
    <message>
        <source>当前版本：%1</source>
        <translation>Current version: %1</translation>
    </message>
    <message>
        <source>我是店长，同意现在安装（安装后需重启聚配）</source>
        <translation>I am the manager and agree to install now (JuPei must be restarted afterwards)</translation>
    </message>
    <message>
        <source>安装</source>
        <translation>Install</translation>
    </message>
    <message>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>更新包由聚配签名发布；签名、版本和文件校验不通过的更新一律拒绝。有配送进行中时不会安装。</source>
        <translation>Updates are signed by JuPei; any update that fails the signature, version or file checks is refused. Nothing is installed while deliveries are under way.</translation>
    </message>
    <message>
        <source>正在检查…</source>
        <translation>Checking…</translation>
    </message>
    <message>
        <source>已是最新版本。</source>
        <translation>You have the latest version.</translation>
    </message>
    <message>
        <source>新版本 %1 可用（%2 MB）。</source>
        <translation>Version %1 is available (%2 MB).</translation>
    </message>
    <message>
        <source>还有 %1 单配送进行中：请在高峰过后再安装更新。</source>
        <translation>%1 deliveries are still under way: install the update after the rush.</translation>
    </message>
    <message>
        <source>正在下载并校验…</source>
        <translation>Downloading and verifying…</translation>
    </message>
    <message>
        <source>已安装 %1：请关闭并重新打开聚配。</source>
        <translation>%1 installed: close and reopen JuPei.</translation>
    </message>
    <message>
        <source>%1 已下载并校验：请关闭聚配，更新会在关闭后完成，然后重新打开。</source>
        <translation>%1 is downloaded and verified: close JuPei, the update completes after it has closed, then open it again.</translation>
    </message>
    <message>
        <source>新版本 %1 可用：店长可在 工具 → 检查更新… 安装</source>
        <translation>Version %1 is available: the manager can install it from Tools → Check for updates…</translation>
    </message>
</context>
</TS>