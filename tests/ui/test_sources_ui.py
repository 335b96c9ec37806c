"""Order sources on the desk: the badge and the fulfilment on the board, a platform's
cancel request in red, the detail pane's platform box, the health chips and the
"您有新的美团订单" alert (no real audio: a recording player)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from app.core.board import Lane
from app.core.config import AlertSettings
from app.core.events import OrderReceived, SourceHealthChanged, SourceOrderArrived
from app.core.events import SourceOrderUpdated as Updated
from app.core.operations import Action, order_actions
from app.ui.alerts import Alert, AlertCenter, SoundPlayer
from app.ui.board.model import COLUMNS, BoardModel
from app.ui.board.view import BoardView
from app.ui.detail.source_box import SourceBox
from app.ui.source_health import SourceHealthBar
from tests.ui.factories import make_row, make_source_row

pytestmark = pytest.mark.gui


class _Recorder(SoundPlayer):
    def __init__(self) -> None:
        super().__init__()
        self._disabled = True  # record only


class _Speaker:
    available = True

    def __init__(self) -> None:
        self.spoken: list[str] = []

    def say(self, text: str, volume: float) -> bool:
        self.spoken.append(text)
        return True


def _cell(model: BoardModel, row: int, key: str, role=Qt.ItemDataRole.DisplayRole):
    return model.data(model.index(row, COLUMNS.index(key)), role)


def test_badge_colours_day_number_and_platform_delivery(qtbot):
    model = BoardModel()
    rows = [
        make_source_row(3, "meituan", 12),
        make_source_row(2, "eleme", 7, fulfilment="platform_delivery"),
        make_source_row(1, "meituan", 3, fulfilment="pickup"),
    ]
    model.set_rows([*rows, make_row(0, Lane.NEW)])
    view = BoardView(model)
    qtbot.addWidget(view)
    view.resize(1000, 300)
    view.show()
    qtbot.waitExposed(view)
    assert [_cell(model, i, "pickup") for i in range(3)] == ["美团 #12", "饿了么 #7", "美团 #3"]
    assert [_cell(model, i, "carrier") for i in range(4)] == ["", "平台配送", "自取", ""]
    image = view.table.viewport().grab().toImage()
    col = COLUMNS.index("pickup")
    x = view.table.columnViewportPosition(col) + 8
    centre = [view.table.rowViewportPosition(i) + 14 for i in range(4)]
    colours = [QColor(image.pixel(x, y)).name() for y in centre]
    assert colours == ["#ffc300", "#0086ff", "#ffc300", "#8c959f"]  # 美团, 饿了么, 美团, POS


def test_platform_delivery_and_pickup_offer_no_dispatch():
    plain = order_actions(make_source_row(1, "meituan", 1))
    assert Action.DISPATCH in plain.allowed and Action.QUOTE in plain.allowed
    for mode in ("platform_delivery", "pickup"):
        acts = order_actions(make_source_row(2, "eleme", 2, fulfilment=mode))
        assert not acts.allowed & {Action.DISPATCH, Action.QUOTE, Action.REDISPATCH}
        assert Action.PRINT in acts.allowed and acts.resolves is None


def test_a_platform_cancel_request_is_red_until_settled(qtbot):
    model = BoardModel()
    model.set_rows([make_source_row(5, "meituan", 12)])
    changed = []
    model.dataChanged.connect(lambda a, b: changed.append(a.row()))
    model.platform_updated(Updated(5, "meituan", "x", "confirmed", cancel_requested=True))
    assert changed == [0]
    assert _cell(model, 0, "status").startswith("顾客申请取消")
    assert _cell(model, 0, "status", Qt.ItemDataRole.ForegroundRole) == QColor("#cf222e")
    model.platform_updated(Updated(5, "meituan", "x", "confirmed", refund_state="applied"))
    assert _cell(model, 0, "status").startswith("顾客申请退款")
    model.platform_updated(Updated(5, "meituan", "x", "cancelled", cancel_requested=True))
    assert "申请" not in _cell(model, 0, "status")
    model.platform_updated(Updated(None, "meituan", "y", "new"))  # not on the board: no-op


def test_a_request_read_with_the_row_is_red_without_an_event(qtbot):
    """After a restart no update event comes: the stored request on the row (page,
    later page, refresh) makes it red; a refreshed row without it clears the flag."""
    model = BoardModel()
    asked = dataclasses.replace(make_source_row(5, "meituan", 12), platform_request="cancel")
    model.set_rows([asked, make_row(4, Lane.NEW)])
    assert _cell(model, 0, "status").startswith("顾客申请取消")
    assert _cell(model, 0, "status", Qt.ItemDataRole.ForegroundRole) == QColor("#cf222e")
    assert "申请" not in _cell(model, 1, "status")
    older = dataclasses.replace(make_source_row(3, "eleme", 2), platform_request="refund")
    model.append_page([older], None)
    assert _cell(model, 2, "status").startswith("顾客申请退款")
    model.upsert(dataclasses.replace(asked, platform_request=""))  # settled on the platform
    assert "申请" not in _cell(model, 0, "status")
    assert _cell(model, 0, "status", Qt.ItemDataRole.ForegroundRole) != QColor("#cf222e")


@dataclass
class _SourceOrder:
    state: str
    cancel_requested: bool = False
    refund_state: str = "none"


class _DeskService:
    def __init__(self, so, stalled=False) -> None:
        self.so, self.stalled, self.calls = so, stalled, []

    async def source_order(self, order_id):
        return self.so

    def source_stalled(self, order_id):
        return self.stalled

    async def confirm_source_order(self, order_id):
        self.calls.append(("confirm", order_id))


@pytest.mark.asyncio
async def test_detail_box_shows_the_platform_side_and_confirms(qtbot):
    svc = _DeskService(_SourceOrder("new", cancel_requested=True))
    box = SourceBox(svc)
    qtbot.addWidget(box)
    order = make_source_row(9, "meituan", 12).order
    read = []
    box.platform_read.connect(read.append)
    await box.show_order(order)
    assert [(e.order_id, e.cancel_requested, e.state) for e in read] == [(9, True, "new")]
    text = box.info.text()
    assert "美团 #12" in text and order.extra["source_order_id"] in text
    assert "待接单" in text and "顾客申请取消" in text
    assert "美团 美团" not in text  # the label already names the platform
    assert not box.buttons["confirm"].isHidden() and box.buttons["self_delivery"].isHidden()
    assert await box.act("confirm") and svc.calls == [("confirm", 9)]
    svc.so, svc.stalled = _SourceOrder("confirmed"), True
    await box.show_order(make_source_row(9, "eleme", 4, fulfilment="platform_delivery").order)
    assert box.buttons["confirm"].isHidden() and not box.buttons["self_delivery"].isHidden()
    assert "平台配送超时" in box.info.text() and "平台配送" in box.info.text()
    await box.show_order(make_row(1).order)  # a POS order: no platform box
    assert box.isHidden()


@dataclass
class _Health:
    source: str
    state: str
    last_push_at: datetime | None = None
    last_pull_at: datetime | None = None
    last_error: str = ""


class _HealthService:
    def __init__(self) -> None:
        self.health = [
            _Health("meituan", "healthy", datetime(2026, 12, 2, 4, 0, 5, tzinfo=UTC)),
            _Health("eleme", "catching_up"),
        ]

    def source_health(self):
        return self.health


@pytest.mark.asyncio
async def test_health_chips_from_the_service_then_events(qtbot):
    svc = _HealthService()
    bar = SourceHealthBar(svc)
    qtbot.addWidget(bar)
    assert bar.isHidden()
    await bar.load()
    mt, el = bar.chips["meituan"], bar.chips["eleme"]
    assert (mt.text(), el.text()) == ("美团 正常", "饿了么 正在补单…")
    assert "最近推送: 12:00:05" in mt.toolTip() and "最近拉取: 无" in mt.toolTip()
    bar.on_event(SourceHealthChanged("eleme", "error", "token expired"))
    assert el.text() == "饿了么 异常: token expired"
    assert bar._later.isActive()  # the tooltip's times are re-read a moment later
    bar._later.stop()
    svc.health[1] = _Health("eleme", "error", last_error="token expired")
    await bar.load()
    assert "token expired" in el.toolTip()


@pytest.mark.asyncio
async def test_a_settled_platform_order_shows_no_request(qtbot):
    """A request the platform settled by cancelling is not red in the box (nor on the board)."""
    box = SourceBox(_DeskService(_SourceOrder("cancelled", cancel_requested=True)))
    qtbot.addWidget(box)
    await box.show_order(make_source_row(9, "meituan", 12).order)
    assert "已取消" in box.info.text() and "申请" not in box.info.text()


class _SyncService(_DeskService):
    """A platform order whose status syncs the platform refused (parked)."""

    def __init__(self, parked: int) -> None:
        super().__init__(_SourceOrder("confirmed"))
        self.parked = parked

    async def sync_back_state(self, order_id):
        return (1, self.parked)  # (pending, parked), as AppService.sync_back_state

    async def resend_sync_back(self, order_id):
        self.calls.append(("resend", order_id))
        resent, self.parked = self.parked, 0
        return resent


@pytest.mark.asyncio
async def test_detail_offers_resend_when_a_status_sync_was_refused(qtbot):
    svc = _SyncService(parked=2)
    box = SourceBox(svc)
    qtbot.addWidget(box)
    changed = []
    box.changed.connect(lambda: changed.append(True))
    order = make_source_row(9, "meituan", 12).order
    await box.show_order(order)
    button = box.buttons["resend_sync"]
    assert button.text() == "重新同步" and not button.isHidden()
    assert "平台拒绝了 2 条状态同步" in box.info.text()
    assert await box.act("resend_sync") and svc.calls == [("resend", 9)] and changed
    await box.show_order(order)  # the panel reloads after an action
    assert button.isHidden() and "平台拒绝" not in box.info.text()


@pytest.mark.asyncio
async def test_chip_tooltip_shows_the_sync_back_backlog_and_turns_amber(qtbot):
    from app.ui.source_health import COLOURS, PARKED

    svc = _HealthService()
    svc.backlog = {"meituan": (3, 1), "eleme": (0, 0)}

    async def sync_back_backlog():
        return svc.backlog

    svc.sync_back_backlog = sync_back_backlog
    bar = SourceHealthBar(svc)
    qtbot.addWidget(bar)
    await bar.load()
    mt, el = bar.chips["meituan"], bar.chips["eleme"]
    assert "状态同步：待发送 3 条，平台拒绝 1 条" in mt.toolTip()
    assert "状态同步" not in el.toolTip()
    assert f"background:{PARKED[1]}" in mt.styleSheet()  # amber while something is parked
    assert f"background:{COLOURS['catching_up'][1]}" in el.styleSheet()
    bar.on_event(SourceHealthChanged("meituan", "healthy"))  # an event keeps the amber
    assert f"background:{PARKED[1]}" in mt.styleSheet()
    bar._later.stop()
    bar.on_sync_back()  # a SyncBackChanged: the backlog is read again a moment later
    assert bar._later.isActive()
    bar._later.stop()
    svc.backlog = {"meituan": (0, 0)}  # the cashier resent, the platform took it
    await bar.load()
    assert f"background:{COLOURS['healthy'][1]}" in mt.styleSheet()
    assert "状态同步" not in mt.toolTip()


def test_source_alert_plays_its_own_chime_and_speaks_only_with_an_engine(qtbot):
    settings = AlertSettings(repeat_s=0, voice=True)
    player, speaker = _Recorder(), _Speaker()
    center = AlertCenter(lambda: settings, player, speaker=speaker)
    text = "您有新的美团订单"
    center.raise_alert(Alert(1, "new_order", text, "info", sound="source_order", speech=text))
    assert player.played == ["source_order"]
    qtbot.waitUntil(lambda: speaker.spoken == [text], timeout=3000)
    assert "voice_new_order" not in player.played  # no generic clip instead of the words
    settings.sound = False  # muted: no chime
    center.raise_alert(Alert(2, "new_order", text, "info", sound="source_order", speech=text))
    assert player.played == ["source_order"]


@pytest.mark.asyncio
@pytest.mark.integration
async def test_window_rings_for_a_live_platform_order_only(qtbot, tmp_path):
    from app.ui.main_window import MainWindow
    from tests.helpers import started_core, wait_until

    async with started_core(tmp_path, alerts={"voice": False}) as core:
        win = MainWindow.shell(store_name="店", rehearsal=True)
        qtbot.addWidget(win)
        win.attach(core.service, tile_source="offline")
        await win.start()
        player = _Recorder()
        win.alerts.player = player
        bus = core.service.bus
        bus.publish(OrderReceived(41, "meituan:1", "meituan", "manual", "美团 #12"))
        assert player.played == []  # the core leaves platform orders to their own event
        bus.publish(SourceOrderArrived(41, "meituan", "1", "美团 #12", ring=False))
        assert player.played == [] and win.alerts.unread == 0  # back-filled: quiet
        bus.publish(SourceOrderArrived(42, "eleme", "2", "饿了么 #3", ring=True))
        assert player.played == ["source_order"]
        assert win.alerts.unread == 1
        await wait_until(lambda: not win.alert_bar.isHidden())
        assert "您有新的饿了么订单" in win.alert_bar.label.text()
        win.close()


def test_timeline_says_sync_back_calls_and_who_sent_the_order():
    from app.ui.detail.timeline import _source_actor, event_text

    sent = {"source": "meituan", "status": "picked_up", "outcome": "sent", "error": ""}
    assert event_text("sync_back", "engine", "x", sent) == "同步美团：已取货（已发送）"
    failed = {"source": "eleme", "status": "position", "outcome": "retrying", "error": "HTTP 502"}
    assert event_text("sync_back", "engine", "x", failed) == (
        "同步饿了么：骑手位置（失败，稍后重试） HTTP 502"
    )
    assert _source_actor("meituan") == "美团"  # the platform, not the carrier 美团配送
    assert _source_actor("cashier") == "收银员"


def test_a_simulated_pos_order_is_not_a_platform_order():
    from app.ui.board.badges import source_of

    row = make_row(1)
    row.order.extra.update(source="simulated")
    assert source_of(row.order) == "" and source_of(make_source_row(2, "eleme", 1).order) == "eleme"


@pytest.mark.asyncio
@pytest.mark.integration
async def test_a_simulated_meituan_order_reaches_the_board_with_badge_and_platform_box(
    qtbot, tmp_path, tmp_data
):
    """Rehearsal: the 美团 simulator pushes signed orders to the listener; the desk stores,
    confirms and boards them; the window shows the badge and the platform state."""
    import httpx

    from app.core.secrets import MemorySecretStore
    from app.ui.app import start_core
    from app.ui.main_window import MainWindow
    from tests.helpers import make_settings, wait_until

    settings = make_settings(
        tmp_path,
        pos={"port": 0},  # the simulators sign over the listener's bound URL
        rehearsal={"sources": True, "source_orders_every_s": 0, "sample_orders_every_s": 0},
    )
    core = await start_core(settings, secrets=MemorySecretStore())
    try:
        win = MainWindow(core.service, tile_source="offline")
        qtbot.addWidget(win)
        await win.start()

        def meituan_row():
            for oid in win.model.order_ids():
                row = win.model.row_for(oid)
                if row is not None and row.order.extra.get("source") == "meituan":
                    return row
            return None

        control = core.source_sims.control_url  # the simulators' control API
        async with httpx.AsyncClient(trust_env=False) as client:
            point = {"latitude": 31233000, "longitude": 121476000}  # near the demo store
            r = await client.post(f"{control}/__sources/meituan/new_order", json=point)
            assert r.status_code == 200, r.text
        await wait_until(lambda: meituan_row() is not None, timeout=30)
        row = meituan_row()
        i = win.model.index_for(row.order.id).row()
        assert _cell(win.model, i, "pickup").startswith("美团 #")
        win.board.select_order(row.order.id)
        box = win.detail.source_box
        await wait_until(lambda: box.source_order is not None and not box.isHidden(), timeout=15)
        assert row.order.extra["source_order_id"] in box.info.text()
        assert "平台状态" in box.info.text()
        await wait_until(lambda: "美团" in win.source_health.chips["meituan"].text())
        win.close()
    finally:
        await core.stop()


def test_speaker_probe_is_quiet_and_says_nothing_without_an_engine(qtbot):
    from app.ui.alerts import Speaker

    speaker = Speaker()  # a plug-in that fails to load must not raise a Qt warning here
    spoke = speaker.say("您有新的美团订单", 0.5)
    assert spoke is speaker.available
    assert speaker.spoken == (["您有新的美团订单"] if spoke else [])
