"""Menus and shortcuts of the main window. Reports, export, bill import and print preview
open by plain imports inside the opener (start-up speed); held prints get a decision here."""

from __future__ import annotations

import inspect
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
    tr = QCoreApplication.translate
    acts["reports"] = _action(win, t, tr("MainWindow", "对账报表"), "Ctrl+Shift+R", lambda: spawn(_gated(win, open_reports), "open reports"), "act_reports")  # fmt: skip
    acts["export"] = _action(win, t, tr("MainWindow", "导出"), "Ctrl+E", lambda: spawn(_gated(win, open_export), "open export"), "act_export")  # fmt: skip
    acts["import_bill"] = _action(win, t, tr("MainWindow", "导入运力账单…"), None, lambda: spawn(_gated(win, import_bill), "import bill"), "act_import_bill")  # fmt: skip
    acts["preview"] = _action(win, t, tr("MainWindow", "小票预览"), "Ctrl+Shift+P", lambda: open_preview(win), "act_preview")  # fmt: skip
    acts["held"] = _action(win, t, tr("MainWindow", "暂存的打印任务…"), None, lambda: spawn(held_prints(win), "held prints"), "act_held")  # fmt: skip
    acts["updates"] = _action(win, t, tr("MainWindow", "检查更新…"), None, lambda: spawn(_gated(win, open_updates), "open updates"), "act_updates")  # fmt: skip
    acts["diagnostics"] = _action(win, t, tr("MainWindow", "诊断包…"), None, lambda: open_diagnostics(win), "act_diagnostics")  # fmt: skip
    acts["backup"] = _action(win, t, tr("MainWindow", "备份/恢复…"), None, lambda: spawn(_gated(win, open_backup), "open backup"), "act_backup")  # fmt: skip
    t.addSeparator()
    acts["autostart"] = _autostart_action(win, t)
    acts["about"] = _action(win, t, tr("MainWindow", "关于聚配"), None, lambda: _about(win), "actAbout")  # fmt: skip
    t.addSeparator()
    acts["settings"] = _action(win, t, tr("MainWindow", "设置…"), "Ctrl+,", win.open_settings, "actSettings")  # fmt: skip


async def _gated(win, opener):
    """Manager-only tools open behind the PIN."""
    from app.ui.dialogs.pin import manager_gate

    if not await manager_gate(win, win.service):
        return None
    out = opener(win)
    return await out if inspect.isawaitable(out) else out


def _show(w):
    w.setWindowFlag(Qt.WindowType.Window, True)
    w.show()
    return w


def open_reports(win):
    # imported here, not at the top: the charts module is heavy and rarely opened
    from app.ui.reports import ReportsView

    svc = win.service
    w = ReportsView(lambda a, b: svc.summary(date_from=a, date_to=b), win)
    spawn(w.refresh(), "reports.refresh")
    return _show(w)


def open_export(win):
    from app.ui.export_dialog import ExportDialog

    return _show(ExportDialog(win.service.export, win))


def open_diagnostics(win):
    """No PIN: the pack holds no secret, and support may need it when the PIN is lost."""
    from app.ui.diagnostics_dialog import DiagnosticsDialog

    center = getattr(win, "alerts", None)
    alerts = list(center.unacked.values()) if center is not None else []
    problem = getattr(win, "config_problem", "")
    return _show(DiagnosticsDialog(win.service, win, alerts=alerts, config_problem=problem))


async def open_backup(win):
    from app.ui.backup_dialog import BackupDialog

    w = BackupDialog(win.service, win)
    await w.refresh()
    return _show(w)


def open_updates(win):
    """Behind the manager PIN: installing is the manager's decision."""
    from app.ui.update_dialog import UpdateDialog, make_updater

    return _show(UpdateDialog(win.service, make_updater(win.service), win))


def open_preview(win):
    from app.ui.print_preview import TicketPreview

    w = TicketPreview(win.service, win)
    oid = win.board.selected_order_id()
    if oid is not None:
        spawn(w.show_order(oid), "TicketPreview.show_order")
    return _show(w)


async def import_bill(win):
    """Pick a carrier and its statement file; the core matches it against our attempts."""
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    tr = QCoreApplication.translate
    facts = {f.name_zh: cid for cid, f in win.service.carriers().items() if f.rules is not None}
    name, ok = QInputDialog.getItem(win, tr("MainWindow", "导入运力账单"), tr("MainWindow", "运力"), list(facts), 0, False)  # fmt: skip
    if not ok:
        return None
    path, _ = QFileDialog.getOpenFileName(win, tr("MainWindow", "选择账单文件"), "", "CSV/Excel (*.csv *.xlsx)")  # fmt: skip
    if not path:
        return None
    report = await win.service.import_bill(facts[name], path)
    counts = ", ".join(f"{k}={v}" for k, v in report.counts().items())
    win.show_error(tr("MainWindow", "账单已导入：%1").replace("%1", counts))
    return report


async def held_prints(win):
    """The backlog held while a printer was down waits for a human: print it or drop it."""
    from app.ui.dialogs.ask import confirm

    tr = QCoreApplication.translate
    held = await win.service.held_prints()
    if not held:
        win.show_error(tr("MainWindow", "没有暂存的打印任务"))
        return 0
    text = tr("MainWindow", "有 %1 张小票因打印机故障暂存。现在打印？").replace("%1", str(len(held)))  # fmt: skip
    title = tr("MainWindow", "暂存的打印任务")
    if await confirm(win, title, text):
        return await win.service.release_held_prints()
    if await confirm(win, title, tr("MainWindow", "丢弃全部暂存的小票？")):
        return await win.service.discard_held_prints()
    return 0


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
