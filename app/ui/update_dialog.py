"""Tools -> 检查更新…: the signed update of the bundle (``app.core.updates``, tufup).

Behind the manager PIN (the menu's gate). Checking and installing block on the network and
the disk, so they run in a worker thread; the install needs the manager's explicit consent
(the tick box) and is refused while any delivery is live (never during a rush).
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.core import paths
from app.core.updates import UpdateError, UpdateOffer, Updater, bundle_dir
from app.ui.bridge import spawn

log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    return QCoreApplication.translate("UpdateDialog", text)


def _why(e: UpdateError) -> str:
    return {
        "off": _tr("更新未开启：请在配置文件的 [updates] 中填写 url。"),
        "unavailable": _tr("这个安装没有更新组件（tufup）。"),
        "not_bundle": _tr("聚配不是从安装包运行的（源码或 pip 安装）：请用 pip 更新。"),
        "no_root": _tr("安装包里缺少更新签名的信任根（update_root.json）。"),
        "unreachable": _tr("连不上更新服务器，请检查网络后再试。"),
        "untrusted": _tr("更新信息的签名校验失败，已拒绝（可能被篡改或是旧版本）。"),
        "tampered": _tr("下载的安装包校验失败，已拒绝，没有安装任何文件。"),
        "no_consent": _tr("需要店长同意才能安装。"),
        "busy": _tr("还有配送进行中：请在高峰过后再安装更新。"),
        "no_update": _tr("没有可安装的新版本。"),
    }.get(e.code, _tr("更新失败，详见日志。"))


def make_updater(service: Any) -> Updater:
    return Updater(
        service.settings.updates,
        current_version=__version__,
        install_dir=bundle_dir(),
        state_dir=paths.data_dir() / "updates",
    )


async def startup_check(win: Any) -> UpdateOffer | None:
    """Once per start, when ``[updates] url`` is set and this is the bundle: look at the
    feed and, when a newer version waits, say so in the status bar (installing stays the
    manager's decision, in the dialog). Quiet when the feed is off, unreachable or bad."""
    if not win.service.settings.updates.url.strip() or bundle_dir() is None:
        return None  # off, or from source: nothing to look at (and no state dir made)
    updater = make_updater(win.service)
    try:
        offer = await asyncio.to_thread(updater.check)
    except UpdateError as e:
        log.info("update check at start: %s [%s]", e, e.code)
        return None
    if offer is not None:
        win.statusBar().showMessage(
            _tr("新版本 %1 可用：店长可在 工具 → 检查更新… 安装").replace("%1", offer.version)
        )
    return offer


class UpdateDialog(QDialog):
    def __init__(self, service: Any, updater: Updater, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("UpdateDialog")
        self.setWindowTitle(_tr("检查更新"))
        self.service = service
        self.updater = updater
        self.offer: UpdateOffer | None = None
        self.installed: str | None = None
        self.version_label = QLabel(_tr("当前版本：%1").replace("%1", __version__))
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.consent = QCheckBox(_tr("我是店长，同意现在安装（安装后需重启聚配）"))
        self.consent.setEnabled(False)
        self.check_button = QPushButton(_tr("检查更新"))
        self.check_button.setDefault(True)
        self.check_button.clicked.connect(lambda: spawn(self.check(), "update check"))
        self.install_button = QPushButton(_tr("安装"))
        self.install_button.setEnabled(False)
        self.install_button.clicked.connect(lambda: spawn(self.install(), "update install"))
        self.consent.toggled.connect(self._sync)
        self.close_button = QPushButton(_tr("关闭"))
        self.close_button.clicked.connect(self.reject)
        note = QLabel(
            _tr(
                "更新包由聚配签名发布；签名、版本和文件校验不通过的更新一律拒绝。"
                "有配送进行中时不会安装。"
            )
        )
        note.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.check_button, self.install_button, self.close_button):
            buttons.addWidget(b)
        root = QVBoxLayout(self)
        root.addWidget(self.version_label)
        root.addWidget(note)
        root.addWidget(self.status, 1)
        root.addWidget(self.consent)
        root.addLayout(buttons)
        if not updater.enabled:
            self.status.setText(_why(UpdateError("off", "")))
            self.check_button.setEnabled(False)
        self.resize(520, 260)

    def _sync(self) -> None:
        self.install_button.setEnabled(self.offer is not None and self.consent.isChecked())

    def _busy(self, busy: bool) -> None:
        for b in (self.check_button, self.close_button):
            b.setEnabled(not busy)
        self.consent.setEnabled(not busy and self.offer is not None)
        if busy:
            self.install_button.setEnabled(False)
        else:
            self._sync()

    async def check(self) -> UpdateOffer | None:
        self.status.setText(_tr("正在检查…"))
        self.offer = None
        self.consent.setChecked(False)
        self._busy(True)
        try:
            self.offer = await asyncio.to_thread(self.updater.check)
        except UpdateError as e:
            self.status.setText(_why(e))
            return None
        finally:
            self._busy(False)
        if self.offer is None:
            self.status.setText(_tr("已是最新版本。"))
        else:
            mb = f"{math.ceil(self.offer.size_bytes / 100_000) / 10:.1f}"  # never "0.0"
            self.status.setText(
                _tr("新版本 %1 可用（%2 MB）。").replace("%1", self.offer.version).replace("%2", mb)
            )
        return self.offer

    async def install(self) -> str | None:
        if self.offer is None:
            return None
        self._busy(True)
        try:
            live = await self.service.live_delivery_count()
            if live > 0:
                self.status.setText(
                    _tr("还有 %1 单配送进行中：请在高峰过后再安装更新。").replace("%1", str(live))
                )
                return None
            self.status.setText(_tr("正在下载并校验…"))
            consent = self.consent.isChecked()
            version = await asyncio.to_thread(
                self.updater.install, consent=consent, live_deliveries=live
            )
        except UpdateError as e:
            self.status.setText(_why(e))
            return None
        finally:
            self._busy(False)
        self.installed = version
        self.offer = None
        self.consent.setChecked(False)
        self._busy(False)
        if self.updater.deferred:  # Windows: the files move once JuPei has exited
            text = _tr("%1 已下载并校验：请关闭聚配，更新会在关闭后完成，然后重新打开。")
        else:
            text = _tr("已安装 %1：请关闭并重新打开聚配。")
        self.status.setText(text.replace("%1", version))
        return version
