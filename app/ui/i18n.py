"""Translations. Source strings are zh_CN (the default needs no catalogue); English comes
from ``resources/i18n/jupei_en.qm`` (built from ``jupei_en.ts`` with pyside6-lrelease)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from app.ui.resources import i18n_dir

log = logging.getLogger(__name__)


def install_translators(app: QApplication, lang: str) -> list[QTranslator]:
    """Install the app catalogue and Qt's own (dialog buttons) for ``lang``."""
    QLocale.setDefault(QLocale(lang))
    installed: list[QTranslator] = []
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    candidates = [(f"qtbase_{lang}", qt_dir)]
    if lang != "zh_CN":
        candidates.append((f"jupei_{lang.split('_')[0]}", str(i18n_dir())))
    for name, folder in candidates:
        t = QTranslator(app)
        if t.load(name, folder):
            app.installTranslator(t)
            installed.append(t)
        else:
            log.info("no translation %s in %s", name, folder)
    return installed


def remove_translators(app: QApplication, translators: list[QTranslator]) -> None:
    for t in translators:
        app.removeTranslator(t)
