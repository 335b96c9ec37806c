"""About: version, runtime versions and the licences of what JuPei is built from."""

from __future__ import annotations

import platform
from importlib import metadata

import PySide6
from PySide6.QtCore import QCoreApplication, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout

from app import __version__

COMPONENTS = (
    "PySide6-Essentials",
    "PySide6-Addons",
    "shiboken6",
    "qasync",
    "httpx",
    "aiohttp",
    "SQLAlchemy",
    "alembic",
    "keyring",
    "pydantic",
    "pydantic-settings",
    "platformdirs",
    "python-escpos",
    "qrcode",
    "pillow",
    "XlsxWriter",
    "openpyxl",
    "tomli_w",
)


def licence_of(dist: str) -> str:
    try:
        md = metadata.metadata(dist)
    except metadata.PackageNotFoundError:
        return ""
    text = md.get("License-Expression") or md.get("License") or ""
    if not text or len(text) > 60:  # some put the whole licence text here
        classifiers = [
            c.split(" :: ")[-1]
            for c in md.get_all("Classifier") or []
            if c.startswith("License ::")
        ]
        text = ", ".join(classifiers) or (text.splitlines()[0][:60] if text else "")
    return text


def components() -> list[tuple[str, str, str]]:
    rows = []
    for dist in COMPONENTS:
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
        rows.append((dist, version, licence_of(dist)))
    return rows


class AboutDialog(QDialog):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        tr = QCoreApplication.translate
        self.setObjectName("aboutDialog")
        self.setWindowTitle(tr("About", "关于聚配"))
        self.head = head = QLabel(
            f"<h2>聚配 JuPei {__version__}</h2>"
            + tr("About", "聚合配送工作台：多平台询价、一键派单、失败转派、骑手跟踪、小票与对账。")
            + f"<br>Python {platform.python_version()} · Qt {qVersion()} · PySide6 "
            f"{PySide6.__version__}",
            self,
        )
        head.setWordWrap(True)
        self.body = body = QTextBrowser(self)
        rows = "".join(
            f"<tr><td>{n}</td><td>{v}</td><td>{lic}</td></tr>" for n, v, lic in components()
        )
        body.setHtml(
            "<p>" + tr("About", "本软件使用以下开源组件：") + "</p>"
            "<table cellpadding=3><tr><th align=left>组件</th><th align=left>版本</th>"
            f"<th align=left>许可</th></tr>{rows}</table>"
            "<p>Qt / PySide6: LGPL-3.0 (dynamically linked; you may replace the Qt libraries "
            "in the install folder).</p>"
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(head)
        lay.addWidget(body, 1)
        lay.addWidget(buttons)
        self.resize(560, 480)
