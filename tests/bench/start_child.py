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


if __name__ == "__main__":
    bare() if sys.argv[1] == "bare" else real()
