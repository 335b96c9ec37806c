"""Child for P6: ``bare`` shows an empty QMainWindow, ``app`` runs the real GUI entry
(``app.ui.app.run_gui``, rehearsal mode). Each prints ``SHOWN`` once its window is shown
and painted; the parent times process spawn -> that line."""

from __future__ import annotations

import sys


def _announce() -> None:
    print("SHOWN", flush=True)


def bare() -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])
    w = QMainWindow()
    w.resize(1280, 800)
    w.show()
    QTimer.singleShot(0, _announce)
    app.exec()


def real() -> None:
    from PySide6.QtCore import QTimer

    from app.ui import main_window

    orig = main_window.MainWindow.show

    def show(self) -> None:
        orig(self)
        QTimer.singleShot(0, _announce)

    main_window.MainWindow.show = show  # type: ignore[method-assign]
    from app.__main__ import main

    main([])


def profile() -> None:
    """``real`` with marks (ms since this interpreter started running this module) for the
    P6 breakdown; wraps app functions from outside, app code is unchanged. The window
    shows before the core is built (window first), so the core's marks come after
    ``SHOWN`` and are not part of the figure."""
    import time

    t0 = time.perf_counter()

    def mark(name: str) -> None:
        print(f"MARK {name} {(time.perf_counter() - t0) * 1000:.1f}", flush=True)

    import PySide6.QtWidgets  # noqa: F401

    mark("import_pyside6")
    import app.__main__
    import app.ui.app as ui_app

    mark("import_entry")
    import app.ui.main_window as main_window

    mark("import_window")  # MainWindow's module: the shell's imports only
    orig_make, orig_build = ui_app._make_app, ui_app._build_core
    MW = main_window.MainWindow
    orig_init, orig_show = MW.__init__, MW.show

    def make_app(*a, **k):
        mark("quick_settings")  # the first-frame settings (logging comes after the paint)
        r = orig_make(*a, **k)
        mark("qapplication")
        return r

    def init(self, *a, **k):  # the shell (single-instance check included)
        orig_init(self, *a, **k)
        mark("window_construct")

    def show(self) -> None:
        orig_show(self)
        mark("window_show")
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, _announce)

    async def build_core(*a, **k):  # on the core thread, after the window is shown
        core = await orig_build(*a, **k)
        mark("build_core")
        return core

    ui_app._make_app, ui_app._build_core = make_app, build_core
    MW.__init__, MW.show = init, show  # type: ignore[method-assign]
    app.__main__.main([])


if __name__ == "__main__":
    {"bare": bare, "app": real, "profile": profile}[sys.argv[1]]()
