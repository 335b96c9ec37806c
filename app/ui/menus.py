"""Menus and shortcuts of the main window. Reports, export and print preview are other
engineers' modules, imported lazily; missing ones show a status-bar note."""

from __future__ import annotations

import importlib
import logging

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QKeySequence

from app.ui import labels
from app.ui.bridge import report_error, spawn

log = logging.getLogger(__name__)


def _action(win, menu, text: str, shortcut: str | None, slot, name: str) -> QAction:
    act = QAction(text, win)
    act.setObjectName(name)
    if shortcut:
        act.setShortcut(QKeySequence(shortcut))
    act.triggered.connect(lambda _=False: slot())
    menu.addAction(act)
    win.addAction(act)  # shortcuts work with the menu bar hidden too
    return act


def build_menus(win) -> dict[str, QAction]:
    acts: dict[str, QAction] = {}
    _orders_menu(win, acts)
    _view_menu(win, acts)
    _tools_menu(win, acts)
    return acts


def _orders_menu(win, acts: dict[str, QAction]) -> None:
    m = win.menuBar().addMenu(QCoreApplication.translate("MainWindow", "订单(&O)"))
    acts["manual"] = _action(
        win,
        m,
        QCoreApplication.translate("MainWindow", "电话订单录入"),
        "Ctrl+N",
        win.open_manual_order,
        "actManual",
    )
    acts["simulate"] = _action(
        win,
        m,
        QCoreApplication.translate("MainWindow", "模拟收银订单"),
        "Ctrl+Shift+N",
        win.simulate_order,
        "actSimulate",
    )
    acts["search"] = _action(
        win,
        m,
        QCoreApplication.translate("MainWindow", "搜索订单"),
        "Ctrl+F",
        win.board.focus_search,
        "actSearch",
    )
    acts["ack"] = _action(
        win,
        m,
        QCoreApplication.translate("MainWindow", "确认全部提醒"),
        "F2",
        win.acknowledge_alerts,
        "actAck",
    )
    m.addSeparator()
    acts["quit"] = _action(win, m, QCoreApplication.translate("MainWindow", "退出"), "Ctrl+Q", win.close, "actQuit")  # fmt: skip


def _view_menu(win, acts: dict[str, QAction]) -> None:
    v = win.menuBar().addMenu(QCoreApplication.translate("MainWindow", "视图(&V)"))
    for i, lane in enumerate((None, *labels.LANE_ORDER)):
        text = (
            QCoreApplication.translate("MainWindow", "全部订单")
            if lane is None
            else labels.lane_label(lane)
        )
        acts[f"lane{i}"] = _action(
            win, v, text, f"Ctrl+{i + 1}", lambda ln=lane: win.board.set_lane(ln), f"actLane{i}"
        )
    v.addSeparator()
    acts["fit"] = _action(win, v, QCoreApplication.translate("MainWindow", "地图显示全部"), "Ctrl+M", win.map.fit, "actFit")  # fmt: skip


def _tools_menu(win, acts: dict[str, QAction]) -> None:
    t = win.menuBar().addMenu(QCoreApplication.translate("MainWindow", "工具(&T)"))
    lazy = (
        (
            "reports",
            QCoreApplication.translate("MainWindow", "对账报表"),
            "Ctrl+Shift+R",
            "app.ui.reports",
            "ReportsView",
        ),
        (
            "export",
            QCoreApplication.translate("MainWindow", "导出"),
            "Ctrl+E",
            "app.ui.export_dialog",
            "ExportDialog",
        ),
        (
            "preview",
            QCoreApplication.translate("MainWindow", "小票预览"),
            "Ctrl+Shift+P",
            "app.ui.print_preview",
            "TicketPreview",
        ),
    )
    for key, text, sc, module, name in lazy:
        gated = key in ("reports", "export")  # manager only, behind the PIN
        acts[key] = _action(
            win,
            t,
            text,
            sc,
            (lambda m=module, n=name: spawn(_open_gated(win, m, n), f"open {n}"))
            if gated
            else (lambda m=module, n=name: open_lazy(win, m, n)),
            f"act_{key}",
        )
    t.addSeparator()
    acts["autostart"] = _autostart_action(win, t)
    acts["about"] = _action(win, t, QCoreApplication.translate("MainWindow", "关于聚配"), None, lambda: _about(win), "actAbout")  # fmt: skip
    t.addSeparator()
    acts["settings"] = _action(win, t, QCoreApplication.translate("MainWindow", "设置…"), "Ctrl+,", win.open_settings, "actSettings")  # fmt: skip


async def _open_gated(win, module: str, name: str):
    from app.ui.dialogs.pin import manager_gate

    if await manager_gate(win, win.service):
        return open_lazy(win, module, name)
    return None


def _autostart_action(win, menu) -> QAction:
    from app.core import autostart

    act = QAction(QCoreApplication.translate("MainWindow", "开机自动启动"), win)
    act.setObjectName("actAutostart")
    act.setCheckable(True)
    act.setChecked(autostart.is_enabled())
    act.setEnabled(autostart.supported())

    def toggle(on: bool) -> None:
        try:
            autostart.set_enabled(on)
        except OSError as e:
            report_error(str(e))
            act.setChecked(autostart.is_enabled())

    act.toggled.connect(toggle)
    menu.addAction(act)
    return act


def _about(win) -> None:
    from app.ui.dialogs.about import AboutDialog

    AboutDialog(win).open()


def open_lazy(win, module: str, name: str):
    """Open another engineer's window: ``cls(service, parent)``; degrade when absent."""
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as e:
        log.info("%s.%s not available: %s", module, name, e)
        report_error(
            QCoreApplication.translate("MainWindow", "此功能尚未安装：%1").replace("%1", name)
        )
        return None
    try:
        w = _construct(cls, win)
    except Exception as e:
        log.exception("could not open %s", name)
        report_error(f"{name}: {e}")
        return None
    w.setWindowFlag(Qt.WindowType.Window, True)
    w.show()
    return w


def _construct(cls, win):
    svc = win.service
    reports = svc.reports
    if cls.__name__ == "ReportsView":
        if reports is None:
            raise RuntimeError(QCoreApplication.translate("MainWindow", "报表服务未配置"))
        w = cls(reports.summary, win)
        spawn(w.refresh(), "reports.refresh")
        return w
    if cls.__name__ == "ExportDialog":
        if reports is None:
            raise RuntimeError(QCoreApplication.translate("MainWindow", "报表服务未配置"))
        return cls(reports.export, win)
    w = cls(svc, win)
    oid = win.board.selected_order_id()
    if oid is not None and hasattr(w, "show_order"):
        spawn(w.show_order(oid), f"{cls.__name__}.show_order")
    return w
