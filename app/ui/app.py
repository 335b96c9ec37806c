"""GUI entry: logging, QApplication, translations, single instance, then the main
window's first frame (from ``quick_settings``, before pydantic, qasync or any core or
board module is imported), then the full settings, the qasync loop, the core on its own
thread (``CoreRuntime``) reached through ``ServiceProxy``, and the rest of the window;
``--screenshot`` runs the scripted demo instead."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.core.quick_settings import FirstFrameSettings
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)


def run_gui(args) -> int:
    if getattr(args, "smoke", False):
        try:
            from app.smoke import run_smoke
        except ImportError:
            print("smoke test not available in this build", file=sys.stderr)
            return 2
        return run_smoke(args)
    if getattr(args, "screenshot", None):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from app.core.quick_settings import read_first_frame

    quick = read_first_frame(getattr(args, "config", None))
    return _run_qt(args, quick)


def _setup_logging(quick: FirstFrameSettings) -> None:
    """Right after the first paint (``logging.handlers`` pulls in socket, pickle, queue);
    the level is the full schema's (the fast path agrees with it, a test checks)."""
    from app.core import paths
    from app.core.logs import setup_logging

    setup_logging(paths.log_dir(), quick.log_level)


def _make_app(args, language: str):
    from PySide6.QtWidgets import QApplication

    # high-DPI scale factors pass through unrounded: Qt 6's default, so not set here
    # (naming the policy would build all of the Qt namespace's enums before the window)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)  # run_gui ends on lastWindowClosed itself
    app.setApplicationName("JuPei")
    app.setOrganizationName("JuPei")
    app.setApplicationDisplayName("聚配 JuPei")
    from app.ui.i18n import install_translators
    from app.ui.icon import app_icon

    app.setWindowIcon(app_icon())
    install_translators(app, getattr(args, "lang", None) or language)
    return app


def _first_frame(app, quick: FirstFrameSettings) -> MainWindow:
    """The window's shell, shown and painted: what a bare window costs, plus a title."""
    from app.ui.main_window import MainWindow

    window = MainWindow.shell(store_name=quick.store_name, rehearsal=quick.rehearsal_mode == "on")
    _stop_on_signals(window)
    window.show_starting()
    window.show()
    app.processEvents()  # the first paint, before the heavy imports below
    return window


def _run_qt(args, quick: FirstFrameSettings) -> int:
    app = _make_app(args, quick.language)
    from app.core import paths

    lock = None
    if not getattr(args, "screenshot", None):
        from app.ui.instance_lock import InstanceLock

        data = paths.data_dir()
        lock = InstanceLock(data / "gui.lock")
        if not lock.acquire():  # another GUI runs on this data dir
            _setup_logging(quick)
            asked = _ask_running_to_show(str(data))
            log.info("JuPei is already running; %s", "asked it to show its window"
                     if asked else "it did not answer (still starting, or busy)")  # fmt: skip
            return 0
    window = _first_frame(app, quick)
    single = None
    if lock is not None:  # QtNetwork after the paint: the lock already keeps others out
        from app.ui.single_instance import SingleInstance, server_name

        single = SingleInstance(server_name(str(paths.data_dir())))
        single.listen()
    _setup_logging(quick)
    try:
        return _run_loop(app, args, single, window)
    finally:
        if lock is not None:
            lock.release()


def _ask_running_to_show(data_dir: str) -> bool:
    """The running GUI listens right after its first paint: ask for ~2 s."""
    import time

    from app.ui.single_instance import SingleInstance, server_name

    name = server_name(data_dir)
    for _ in range(7):
        if SingleInstance(name).already_running():
            return True
        time.sleep(0.3)
    return False


def _run_loop(app, args, single, window: MainWindow) -> int:
    """After the first paint: the full settings (pydantic), qasync, the core thread."""
    import asyncio

    import qasync

    from app.core.config import load_settings_or_fallback
    from app.core.runtime import RESPONSIVE_SWITCH_INTERVAL_S, CoreRuntime
    from app.ui.garbage import GuiThreadCollector

    # a broken file: the last good copy or the defaults, and a banner (issue 19 item 2)
    settings, problem = load_settings_or_fallback(getattr(args, "config", None))
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    # the core's own thread and loop; the GUI keeps qasync
    runtime = CoreRuntime(switch_interval_s=RESPONSIVE_SWITCH_INTERVAL_S)
    collector = GuiThreadCollector(app)  # Qt objects are freed on the GUI thread only
    runtime.start()
    try:
        return loop.run_until_complete(_main(app, args, settings, single, runtime, window, problem))
    finally:
        if single is not None:
            single.close()
        runtime.stop()
        loop.close()
        collector.stop()


def build_gui_core(settings, *, config_path=None, **build):
    """The GUI's core, built, with the OS printer plugged in (the core cannot build the
    Qt "system" printer). Called on the core thread by the GUI."""
    from app.bootstrap import build_core
    from app.ui import printing_qt

    core = build_core(settings, config_path=config_path, **build)
    printing_qt.register(core.service)
    return core


async def start_core(settings, *, config_path=None, **build):
    """Built and started with the rehearsal sample feed (in rehearsal mode only), on the
    running loop: for callers that run the core on their own loop (tests)."""
    core = build_gui_core(settings, config_path=config_path, **build)
    await core.start(sample_orders=True)
    return core


async def _main(app, args, settings, single, runtime, window: MainWindow, problem=None) -> int:
    """Window first: it is already shown (saying 正在启动…); the core is built on its own
    thread while this thread builds the board, detail, map and menus."""
    import asyncio

    from app.core.upgrade_errors import EXIT_UPGRADE, UpgradeFailed
    from app.ui.bridge import ServiceProxy
    from app.ui.prefs import tile_source
    from app.ui.upgrade_failed import show_upgrade_failed

    proxy = ServiceProxy(runtime, settings=settings)
    closed = asyncio.get_running_loop().create_future()
    window.destroyed.connect(lambda *_: closed.done() or closed.set_result(0))
    app.lastWindowClosed.connect(lambda: closed.done() or closed.set_result(0))
    if single is not None:
        single.activated.connect(
            lambda: (window.showNormal(), window.raise_(), window.activateWindow())
        )
    # submitted now, so the core thread builds while this thread attaches the window
    building = asyncio.wrap_future(
        runtime.submit(_build_core(settings, getattr(args, "config", None)))
    )
    core = None
    try:
        window.attach(proxy, tile_source=tile_source())
        if problem is not None:
            lang = getattr(args, "lang", None) or settings.ui.language
            window.show_config_problem(
                problem.message(lang), on_last_good=problem.running_on is not None
            )
        core = await building
        proxy.attach(core.service)
        await window.start()  # the board's newest page, before carriers and the POS start
        await runtime.run(core.start(sample_orders=True))
        window.core_ready()
        if getattr(args, "screenshot", None):
            return await _screenshot(core, proxy, window, args)
        return await closed
    except UpgradeFailed as e:  # the old database is untouched: say so, no traceback
        proxy.fail(e)
        await show_upgrade_failed(window, e)
        return EXIT_UPGRADE
    except BaseException as e:
        proxy.fail(e)
        if core is None:
            building.cancel()  # a build still under way is not waited for
        raise
    finally:
        window.hide()
        if core is not None:
            await runtime.run(core.stop())


async def _build_core(settings, config_path):
    """Runs on the core thread: the core's heavy imports (httpx, aiohttp, SQLAlchemy,
    Alembic) and the migrations happen there, after the window's first paint."""
    return build_gui_core(settings, config_path=config_path)


def _stop_on_signals(window) -> None:
    """SIGINT/SIGTERM close the window, so the core stops cleanly. A heartbeat timer
    gives the interpreter a chance to run Python signal handlers while Qt waits."""
    import signal

    from PySide6.QtCore import QTimer

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: window.close())
    beat = QTimer(window, interval=300)
    beat.timeout.connect(lambda: None)
    beat.start()


async def _screenshot(core, proxy, window, args) -> int:
    from types import SimpleNamespace

    from app.ui.demo import run_demo, save_detail_shot
    from app.ui.proxy import marshal

    path = Path(args.screenshot)
    # the demo drives the core the way the UI does: through the proxy, on the core thread
    view = SimpleNamespace(service=proxy, demo=marshal(core.demo, proxy.runtime, "demo"))
    await run_demo(view, window, float(getattr(args, "demo", 8.0) or 8.0), path)
    from app.core.board import Lane

    last = window.model.order_ids()[:1]
    if last:
        await save_detail_shot(window, path, last[0])
    trouble = window.model.order_ids([Lane.ATTENTION])[:1]
    if trouble:
        await save_detail_shot(window, path, trouble[0], suffix="attention")
    print(f"screenshot: {path}")
    return 0
