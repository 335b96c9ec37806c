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


def _announce_on_show(before_show=None) -> None:
    """Patch ``MainWindow.show`` to announce once shown; called from inside the GUI entry's
    ``_first_frame`` so nothing is imported earlier than the app itself imports it
    (PySide6 checks the source of every module that imports it after it is loaded)."""
    from PySide6.QtCore import QTimer

    from app.ui import main_window

    orig = main_window.MainWindow.show

    def show(self) -> None:
        orig(self)
        if before_show is not None:
            before_show()
        QTimer.singleShot(0, _announce)

    main_window.MainWindow.show = show  # type: ignore[method-assign]


def real() -> None:
    import app.__main__
    import app.ui.app as ui_app

    orig = ui_app._first_frame

    def first_frame(*a, **k):
        _announce_on_show()
        return orig(*a, **k)

    ui_app._first_frame = first_frame
    app.__main__.main([])


def profile() -> None:
    """``real`` with marks (ms since this interpreter started running this module) for the
    P6 breakdown; wraps app functions from outside, app code is unchanged, and nothing is
    imported in another order than the app's own. The window shows before the core is
    built (window first), so the core's marks come after ``SHOWN`` and are not part of the
    figure."""
    import time

    t0 = time.perf_counter()

    def mark(name: str) -> None:
        print(f"MARK {name} {(time.perf_counter() - t0) * 1000:.1f}", flush=True)

    import app.__main__
    import app.ui.app as ui_app

    mark("import_entry")  # argparse and the GUI entry module: no PySide6 yet
    orig_make, orig_first, orig_build = ui_app._make_app, ui_app._first_frame, ui_app._build_core

    def make_app(*a, **k):
        mark("quick_settings")  # the first-frame settings (logging comes after the paint)
        return orig_make(*a, **k)

    def first_frame(*a, **k):
        mark("qapplication")  # PySide6 imported, QApplication, icon, translations, 1 instance
        _announce_on_show(lambda: mark("window_show"))
        return orig_first(*a, **k)

    async def build_core(*a, **k):  # on the core thread, after the window is shown
        core = await orig_build(*a, **k)
        mark("build_core")
        return core

    ui_app._make_app, ui_app._first_frame, ui_app._build_core = make_app, first_frame, build_core
    app.__main__.main([])


if __name__ == "__main__":
    {"bare": bare, "app": real, "profile": profile}[sys.argv[1]]()
