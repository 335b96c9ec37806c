"""The counter's main window: lanes + board on the left, order detail and the live map on
the right, banners on top. All core work goes through ``AppService`` (async).

Built in two steps so the GUI can show it before anything heavy is imported (start-up
time, benchmark P6): ``MainWindow.shell(...)`` is the first frame (title, icon, status
bar, the rehearsal banner; only PySide6 and small UI modules are imported), ``attach``
imports and builds the board, detail, map, alerts, tray and menus once the service is
there. ``MainWindow(service)`` does both at once (tests, benchmarks)."""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QVBoxLayout, QWidget

from app.ui.banners import RehearsalBanner
from app.ui.icon import app_icon

if TYPE_CHECKING:  # the real imports happen in attach(), after the first paint
    from app.ui.alerts import AlertCenter
    from app.ui.banners import AlertBar
    from app.ui.board.controller import BoardController
    from app.ui.board.model import BoardModel
    from app.ui.board.view import BoardView
    from app.ui.bridge import EventBridge
    from app.ui.detail.panel import OrderDetailPanel
    from app.ui.map.controller import MapController
    from app.ui.map.view import MapView
    from app.ui.tray import Tray

log = logging.getLogger(__name__)


class _LazyBridge:
    """``app.ui.bridge`` imported on first use: the handlers below only run after
    ``attach`` (which imports it anyway), and the shell must not pay for it."""

    def __getattr__(self, name: str) -> Any:
        from app.ui import bridge

        return getattr(bridge, name)


br = _LazyBridge()


class MainWindow(QMainWindow):
    service: Any
    bridge: EventBridge
    model: BoardModel
    board: BoardView
    controller: BoardController
    detail: OrderDetailPanel
    map: MapView
    map_controller: MapController
    alerts: AlertCenter
    alert_bar: AlertBar
    tray: Tray
    actions_by_name: dict[str, Any]
    conn_label: QLabel

    def __init__(
        self,
        service: Any = None,
        *,
        tile_source: str = "autonavi",
        store_name: str = "",
        rehearsal: bool = False,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.service = None
        self._sim_seq = 0
        self._rng = random.Random()
        self.starting = False
        self._banner: RehearsalBanner | None = None
        self.setWindowIcon(app_icon())
        self.resize(1440, 900)
        self._set_title(store_name)
        self._skeleton(rehearsal)
        if service is not None:
            self.attach(service, tile_source=tile_source)

    @classmethod
    def shell(cls, *, store_name: str, rehearsal: bool) -> MainWindow:
        """The first frame only: ``attach`` builds the rest once the service exists."""
        return cls(None, store_name=store_name, rehearsal=rehearsal)

    def _set_title(self, store_name: str) -> None:
        self.setWindowTitle(self.tr("聚配 JuPei — %1").replace("%1", store_name))

    def _skeleton(self, rehearsal: bool) -> None:
        """An empty central area (and the banner when rehearsal is known to be on)."""
        central = QWidget(self)
        lay = QVBoxLayout(central)
        lay.setContentsMargins(4, 0, 4, 4)
        lay.setSpacing(2)
        if rehearsal:
            self._banner = RehearsalBanner(self)
            lay.addWidget(self._banner)
        lay.addStretch(1)
        self.setCentralWidget(central)

    def attach(self, service: Any, *, tile_source: str = "autonavi") -> None:
        """Imports and builds the board, detail, map, alerts, tray and menus for
        ``service`` (the real ``AppService`` or the GUI's ``ServiceProxy``)."""
        from app.ui.alerts import AlertCenter
        from app.ui.banners import AlertBar, StorageBanner
        from app.ui.board.controller import BoardController
        from app.ui.board.model import BoardModel
        from app.ui.board.view import BoardView
        from app.ui.detail.panel import OrderDetailPanel
        from app.ui.menus import build_menus
        from app.ui.tray import Tray

        self.service = service
        self._set_title(service.settings.store.name)
        self.bridge = br.EventBridge(service, self)  # AppService.subscribe_all
        st = service.settings.store
        self.model = BoardModel(
            now=service.clock.now,
            show_full_phone=service.settings.ui.show_full_phone,
            store=(st.lat, st.lng),
            currency=st.currency,
        )
        self.board = BoardView(self.model, self)
        self.controller = BoardController(service, self.bridge, self.model, self)
        self.detail = OrderDetailPanel(service, self)
        self._build_map(tile_source)
        self.alerts = AlertCenter(lambda: self.service.settings.alerts, parent=self)
        self.alert_bar = AlertBar(self)
        self.storage_banner = StorageBanner(self)  # disk full / read-only / locked
        self.tray = Tray(self)
        # per-event GUI work is coalesced: a burst of events costs one detail reload, one
        # tray balloon and one alert-bar/tray/title update (P3: 100 orders/s)
        self._arrived: list[int] = []
        self._source_rang: set[int] = set()  # platform orders announced in their own words
        self._unread = 0
        self._later_detail = self._coalescer(300, self._reload_detail)
        self._later_arrived = self._coalescer(1000, self._notify_arrived)
        self._later_unread = self._coalescer(200, self._show_unread)
        self._build()
        self.actions_by_name = build_menus(self)
        self._wire()
        br.set_error_sink(self.show_error)

    def _build_map(self, tile_source: str) -> None:
        from app.core import paths
        from app.ui.map.controller import MapController
        from app.ui.map.tiles import source_from_name
        from app.ui.map.view import MapView

        self.map = MapView(source_from_name(tile_source), paths.cache_dir(), self)
        s = self.service.settings.store
        self.map.set_store(s.lat, s.lng, s.name)
        self.map_controller = MapController(self.map, self.model, self.bridge, self)

    def _build(self) -> None:
        from PySide6.QtCore import Qt  # its first use costs tens of ms: not in the shell

        right = QSplitter(Qt.Orientation.Vertical, self)
        right.addWidget(self.detail)
        right.addWidget(self.map)
        right.setSizes([560, 340])
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.board)
        split.addWidget(right)
        split.setSizes([980, 620])
        central = QWidget(self)
        lay = QVBoxLayout(central)
        lay.setContentsMargins(4, 0, 4, 4)
        lay.setSpacing(2)
        if self._banner is None and self.service.rehearsal:
            self._banner = RehearsalBanner(self)
        if self._banner is not None:
            lay.addWidget(self._banner)
        lay.addWidget(self.storage_banner)
        lay.addWidget(self.alert_bar)
        lay.addWidget(split, 1)
        self.setCentralWidget(central)
        from app.ui.source_health import SourceHealthBar

        self.source_health = SourceHealthBar(self.service, self)
        self.statusBar().addPermanentWidget(self.source_health)
        self.conn_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.conn_label)
        self._show_secret_problem()

    def show_config_problem(self, problem: str, *, on_last_good: bool) -> None:
        """The settings file could not be used: a red banner on top, with a button to
        the settings; it goes once the settings are saved (issue 19 item 2)."""
        from app.ui.banners import ConfigProblemBanner

        self.config_problem = problem  # for the diagnostics pack (menus.open_diagnostics)
        banner = ConfigProblemBanner(problem, on_last_good=on_last_good, parent=self)
        banner.open_settings.connect(self.open_settings)
        self.centralWidget().layout().insertWidget(0, banner)  # type: ignore[attr-defined]
        if self.service is not None:
            self.bridge.settings_changed.connect(lambda _e: self._config_fixed(banner))

    def _config_fixed(self, banner: QWidget) -> None:
        banner.hide()
        self.config_problem = ""

    def _show_secret_problem(self) -> None:
        if self.service.secret_problem:
            self.statusBar().showMessage(
                self.tr("密钥存储不可用：%1").replace("%1", self.service.secret_problem)
            )

    def _wire(self) -> None:
        from app.ui.alerts import Alert

        self.board.order_selected.connect(self._on_selected)
        self.map.order_clicked.connect(self.board.select_order)
        self.controller.row_updated.connect(self._on_row_updated)
        self.controller.order_arrived.connect(self._on_arrived)
        self.bridge.alert_raised.connect(
            lambda e: self.alerts.raise_alert(
                Alert(e.order_id, e.kind, self._alert_text(e), e.severity)
            )
        )
        self.bridge.alert_cleared.connect(lambda e: self.alerts.clear(e.order_id, e.kind))
        self.bridge.quotes_completed.connect(self._maybe_reload_detail)
        self.bridge.connectivity_changed.connect(self._on_connectivity)
        self.bridge.settings_changed.connect(lambda _e: self._on_settings_changed())
        self.alerts.unread_changed.connect(self._on_unread)
        self.alert_bar.acknowledge.connect(self.acknowledge_alerts)
        self.bridge.source_order_arrived.connect(self._on_source_arrived)
        self.bridge.source_order_updated.connect(self._on_source_updated)
        self.detail.source_box.platform_read.connect(self.model.platform_updated)
        self.bridge.source_health_changed.connect(self.source_health.on_event)
        self.bridge.sync_back_changed.connect(self._maybe_reload_detail)
        self.bridge.storage_state_changed.connect(lambda e: self.storage_banner.show_fault(e.fault))
        self.bridge.sync_back_changed.connect(self.source_health.on_sync_back)
        self.detail.source_box.changed.connect(self.source_health.on_sync_back)  # 重新同步

    # ----------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        br.spawn(self.source_health.load(), "source health")
        facts = self.service.source_facts()  # the platforms' colours for the badges
        self.board.badges.colours.update({sid: f.colour for sid, f in facts.items()})
        from PySide6.QtCore import QCoreApplication

        lang = "en" if QCoreApplication.translate("labels", "zh") == "en" else "zh"
        self.source_health.names.update(
            {sid: f.name(lang) for sid, f in facts.items() if sid not in ("meituan", "eleme")}
        )
        n = await self.controller.load()
        if not self.starting:
            self.statusBar().showMessage(self.tr("已载入 %n 个订单", "", n), 5000)

    def show_starting(self) -> None:
        """Shown until ``core_ready``: the window is up before the core (start-up order)."""
        self.starting = True
        self.statusBar().showMessage(self.tr("正在启动…"))

    def core_ready(self) -> None:
        """The core is built and started: what only it knows can be shown now."""
        self.starting = False
        if self.service.rehearsal and self._banner is None:
            self._banner = RehearsalBanner(self)
            layout = self.centralWidget().layout()
            layout.insertWidget(0, self._banner)  # type: ignore[attr-defined]
        self.statusBar().clearMessage()
        self._show_secret_problem()
        from app.ui.update_dialog import startup_check

        br.spawn(startup_check(self), "update check")  # [updates] url set: one look per start

    def closeEvent(self, event) -> None:
        if self.service is not None:  # a shell that never got its service has no bridge
            br.set_error_sink(None)
            self.bridge.close()
        # no timer of the window's tree left running: the coalescing timers, the board's
        # tick, the map's repaint; a window collected later on another thread (the GC
        # runs wherever it is triggered) must not own live timers
        for timer in self.findChildren(QTimer):
            timer.stop()
        super().closeEvent(event)

    # ----------------------------------------------------------------- events
    def _on_selected(self, order_id: int) -> None:
        self.map.select(order_id)
        self.alerts.acknowledge(order_id)
        br.spawn(self.detail.show_order(order_id), "show order")

    def _alert_text(self, event) -> str:
        from app.ui.labels import alert_text

        order = event.order_label
        row = self.model.row_for(event.order_id) if event.order_id and not order else None
        if row is not None:
            order = row.order.pickup_no or row.order.pos_order_id
        return alert_text(event.kind, event.message, order=order, reason=event.reason)

    def _coalescer(self, ms: int, fn) -> QTimer:
        """A single-shot timer running ``fn`` once ``ms`` after the first of a burst."""
        timer = QTimer(self, singleShot=True, interval=ms)
        timer.timeout.connect(fn)
        return timer

    @staticmethod
    def _soon(timer: QTimer) -> None:
        if not timer.isActive():
            timer.start()

    def _on_arrived(self, order_id: int) -> None:
        # the chime comes from the core's new_order alert; here only the tray balloon
        self._arrived.append(order_id)
        self._soon(self._later_arrived)

    def _notify_arrived(self) -> None:
        ids = [i for i in self._arrived if i not in self._source_rang]
        self._arrived = []
        text = "、".join(self._pickup_no(oid) for oid in ids[-3:])
        if len(ids) > 3:
            text = self.tr("%n 个新订单，最近：%1", "", len(ids)).replace("%1", text)
        if ids:
            self.tray.notify(self.tr("新订单"), text)

    def _on_source_arrived(self, event) -> None:
        """A platform order: its own chime and words ("您有新的美团订单") in the alert bar
        and the tray, repeating until acknowledged; back-filled orders (``ring`` False)
        stay quiet."""
        from app.ui.alerts import Alert
        from app.ui.labels import channel_label

        if not event.ring:
            return
        self._source_rang.add(event.order_id)
        name = self.source_health.names.get(event.source) or channel_label(event.source)
        text = self.tr("您有新的%1订单").replace("%1", name)
        label = f"{text} {event.pickup_no}".strip()
        self.alerts.raise_alert(
            Alert(event.order_id, "new_order", label, "info", sound="source_order", speech=text)
        )
        self.tray.notify(text, event.pickup_no)

    def _on_source_updated(self, event) -> None:
        self.model.platform_updated(event)
        self._maybe_reload_detail(event)

    def _pickup_no(self, order_id: int) -> str:
        row = self.model.row_for(order_id)
        return row.order.pickup_no if row and row.order.pickup_no else str(order_id)

    def _on_row_updated(self, order_id: int) -> None:
        self.map_controller.sync(order_id)
        if order_id == self.detail.order_id:
            self._soon(self._later_detail)

    def _maybe_reload_detail(self, event) -> None:
        if event.order_id == self.detail.order_id:
            self._soon(self._later_detail)

    def _reload_detail(self) -> None:
        if self.detail.order_id is not None:
            br.spawn(self.detail.reload(), "reload detail")

    def _on_unread(self, count: int) -> None:
        self._unread = count
        self._soon(self._later_unread)

    def _show_unread(self) -> None:
        count = self._unread
        self.alert_bar.show_alerts(list(self.alerts.unacked.values()))
        self.tray.set_unread(count)
        base = self.tr("聚配 JuPei — %1").replace("%1", self.service.settings.store.name)
        self.setWindowTitle(f"({count}) {base}" if count else base)

    def _on_connectivity(self, event) -> None:
        self.conn_label.setText(
            self.tr("在线") if event.online else self.tr("离线：%1").replace("%1", event.detail)
        )

    def _on_settings_changed(self) -> None:
        s = self.service.settings.store
        self.map.set_store(s.lat, s.lng, s.name)
        self.model.show_full_phone = self.service.settings.ui.show_full_phone
        from app.core import paths
        from app.ui.map.tiles import source_from_name
        from app.ui.prefs import tile_source

        if source_from_name(tile_source()).url != self.map.source.url:
            self.map.set_source(source_from_name(tile_source()), paths.cache_dir())
        self.model.store = (s.lat, s.lng)

    def show_error(self, text: str) -> None:
        self.statusBar().showMessage(text, 10_000)

    # ----------------------------------------------------------------- actions
    def acknowledge_alerts(self) -> None:
        n = self.alerts.acknowledge()
        if n:
            self.statusBar().showMessage(self.tr("已确认 %n 条提醒", "", n), 3000)

    def open_manual_order(self):
        from app.ui.dialogs.manual_order import ManualOrderDialog

        self._sim_seq += 1
        dlg = ManualOrderDialog(self.service, self._sim_seq, self)
        dlg.open()
        return dlg

    def simulate_order(self) -> None:
        br.spawn(self.simulate_order_async(), "simulate order")

    async def simulate_order_async(self):
        self._sim_seq += 1
        payload = self.service.sample_order_payload(self._sim_seq, self._rng)
        out = await self.service.submit_order_payload(payload, source="simulated")
        self.statusBar().showMessage(
            self.tr("模拟订单已收到：%1").replace("%1", out.order.pos_order_id), 3000
        )
        return out

    def open_settings(self) -> None:
        from app.ui.settings.dialog import open_settings

        br.spawn(open_settings(self, self.service), "settings")

    def focus_order(self, order_id: int) -> None:
        QTimer.singleShot(0, lambda: self.board.select_order(order_id))
