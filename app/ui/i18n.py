"""Translations. Source strings are zh_CN (the default needs no catalogue); English comes
from ``resources/i18n/jupei_en.qm`` (built from ``jupei_en.ts`` with pyside6-lrelease).

Qt's own words (a dialog's Save/Cancel buttons, a context menu's Copy) come from Qt's
catalogue ``qtbase_<lang>.qm`` for either language: without it the Chinese UI shows
"Save"/"Cancel". The bundle keeps ``qtbase_zh_CN`` (build.spec ``_wanted_translation``)
and ``--smoke`` fails when it cannot be loaded (``qt_catalogue_missing``)."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from app.ui.resources import i18n_dir

log = logging.getLogger(__name__)

# what ``install_translators`` installed last: the app speaks one language at a time, so a
# new language replaces the old one's catalogues (an older zh_CN Qt catalogue left behind
# would keep answering the English UI's "Save" with 保存)
_current: list[QTranslator] = []


def qt_translation_dirs() -> list[str]:
    """Where Qt's catalogues are: Qt's own answer first, then the PySide6 package's
    folders (a frozen bundle or a wheel whose Qt prefix points elsewhere)."""
    import PySide6

    pkg = Path(PySide6.__file__).parent
    dirs = [
        QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath),
        str(pkg / "Qt" / "translations"),  # Linux/macOS wheels, the PyInstaller layout
        str(pkg / "translations"),  # Windows wheels
    ]
    return [d for d in dict.fromkeys(dirs) if d and Path(d).is_dir()]


def _load_qt(app: QApplication, lang: str) -> QTranslator | None:
    name = f"qtbase_{lang}"
    for folder in qt_translation_dirs():
        t = QTranslator(app)
        if t.load(name, folder):
            return t
    return None


def qt_catalogue_missing(lang: str = "zh_CN") -> str:
    """ "" when Qt's catalogue for ``lang`` loads, else what is missing (for ``--smoke``)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return "no QApplication"
    t = _load_qt(app, lang)
    if t is None:
        return f"qtbase_{lang}.qm not found in {qt_translation_dirs()}"
    t.deleteLater()
    return ""


def install_translators(app: QApplication, lang: str) -> list[QTranslator]:
    """Install Qt's catalogue (dialog buttons) and, for English, the app's, for ``lang``,
    in place of the language installed before."""
    QLocale.setDefault(QLocale(lang))
    remove_translators(app, list(_current))
    installed: list[QTranslator] = []
    qt = _load_qt(app, lang)
    if qt is not None:
        app.installTranslator(qt)
        installed.append(qt)
    elif lang == "zh_CN":  # the cashier would read English dialog buttons
        log.warning("Qt's Chinese catalogue qtbase_zh_CN not found in %s", qt_translation_dirs())
    else:
        log.info("no Qt translation qtbase_%s", lang)
    if lang != "zh_CN":
        name, folder = f"jupei_{lang.split('_')[0]}", str(i18n_dir())
        t = QTranslator(app)
        if t.load(name, folder):
            app.installTranslator(t)
            installed.append(t)
        else:
            log.info("no translation %s in %s", name, folder)
    _current[:] = installed
    return installed


def remove_translators(app: QApplication, translators: list[QTranslator]) -> None:
    for t in translators:
        app.removeTranslator(t)
        if t in _current:
            _current.remove(t)
