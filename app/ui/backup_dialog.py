"""Tools -> 备份/恢复 (behind the manager PIN): the backup folder and its backups, 立即备份
(to the folder or to a chosen one, e.g. a USB stick) and 从备份恢复 with a progress bar.

The copy runs in a worker thread (``AppService.backup_now`` / ``prepare_restore``); its
progress callback is called from that thread and reaches the bar through a queued signal.
A running JuPei cannot replace its own database: a restore is checked and staged here and
done at the next start (``app.core.backup.apply_pending_restore``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.clock import LOCAL_TZ
from app.ui.bridge import spawn


def _tr(text: str) -> str:
    return QCoreApplication.translate("BackupDialog", text)


class BackupDialog(QDialog):
    progressed = Signal(int, int)  # emitted from the worker thread; queued to the bar

    def __init__(self, service: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.setObjectName("backupDialog")
        self.setWindowTitle(_tr("备份/恢复"))
        self.setMinimumWidth(520)
        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)
        self.list = QListWidget()
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.status = QLabel(
            _tr(
                "每天自动备份一次（保留 7 天 + 4 周）。密钥（运力密钥、POS 密钥、店长 PIN）不在备份中。"
            )
        )
        self.status.setWordWrap(True)
        self.backup_button = QPushButton(_tr("立即备份"))
        self.backup_to_button = QPushButton(_tr("备份到…"))
        self.restore_button = QPushButton(_tr("从备份恢复…"))
        self.backup_button.clicked.connect(lambda: spawn(self.run_backup(), "backup"))
        self.backup_to_button.clicked.connect(lambda: spawn(self._backup_to(), "backup to"))
        self.restore_button.clicked.connect(lambda: spawn(self._restore(), "restore"))
        self.progressed.connect(self._on_progress)
        buttons = QHBoxLayout()
        for b in (self.backup_button, self.backup_to_button, self.restore_button):
            buttons.addWidget(b)
        root = QVBoxLayout(self)
        root.addWidget(self.folder_label)
        root.addWidget(self.list)
        root.addWidget(self.progress)
        root.addWidget(self.status)
        root.addLayout(buttons)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setValue(int(done * 100 / total) if total else 100)

    def _busy(self, busy: bool) -> None:
        for b in (self.backup_button, self.backup_to_button, self.restore_button):
            b.setEnabled(not busy)

    async def refresh(self) -> None:
        folder, backups = await self.service.backups()
        self.folder_label.setText(_tr("备份文件夹：%1").replace("%1", str(folder)))
        self.list.clear()
        for t, p in backups:
            size = p.stat().st_size / 1024 / 1024 if p.exists() else 0.0
            self.list.addItem(f"{t.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}   {p.name}   {size:.1f} MB")

    async def run_backup(self, dest: Path | None = None) -> Path | None:
        self._busy(True)
        self.progress.setValue(0)
        self.status.setText(_tr("正在备份…"))
        try:
            made: Path = await self.service.backup_now(dest, self.progressed.emit)
        except Exception as e:  # shown to the manager; the log has it too
            self.status.setText(_tr("备份失败：%1").replace("%1", str(e)))
            return None
        finally:
            self._busy(False)
        self.progress.setValue(100)
        self.status.setText(_tr("已备份：%1").replace("%1", str(made)))
        await self.refresh()
        return made

    async def _backup_to(self) -> Path | None:
        folder = QFileDialog.getExistingDirectory(self, _tr("选择备份位置"))
        return await self.run_backup(Path(folder)) if folder else None

    async def _restore(self) -> Path | None:
        from app.ui.dialogs.ask import confirm

        folder, _ = await self.service.backups()
        path, _f = QFileDialog.getOpenFileName(
            self, _tr("选择备份文件"), str(folder), "JuPei (*.db)"
        )
        if not path:
            return None
        text = _tr("用这个备份替换当前数据库？当前数据库会保留一份。恢复在重新启动聚配时进行。")
        if not await confirm(self, _tr("从备份恢复"), text):
            return None
        return await self.prepare_restore(Path(path))

    async def prepare_restore(self, backup: Path) -> Path | None:
        self._busy(True)
        self.progress.setValue(0)
        self.status.setText(_tr("正在检查备份…"))
        try:
            staged: Path = await self.service.prepare_restore(backup, self.progressed.emit)
        except Exception as e:
            self.status.setText(_tr("不能恢复：%1").replace("%1", str(e)))
            return None
        finally:
            self._busy(False)
        self.progress.setValue(100)
        self.status.setText(_tr("备份已检查无误。请退出并重新启动聚配，启动时完成恢复。"))
        return staged
