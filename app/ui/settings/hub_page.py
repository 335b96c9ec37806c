"""总部 (head office) page: join this counter PC to a chain hub with the address and the
one-time enrolment code head office gave (``AppService.join_hub``, run on the core's
loop, so the GUI never waits on the network), show the joined store and the link's
state, and 退出 (``leave_hub``). The device token goes to the secret store only."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.bridge import spawn


class HubPage(QWidget):
    def __init__(self, service, parent=None) -> None:
        super().__init__(parent)
        self.service = service
        self.url = QLineEdit(self)
        self.url.setObjectName("hub.url")
        self.url.setPlaceholderText("https://hub.example.cn")
        self.code = QLineEdit(self)
        self.code.setObjectName("hub.code")
        self.code.setPlaceholderText("ABCD-EFGH-JKLM")
        self.join_button = QPushButton(self.tr("加入"), self)
        self.join_button.setObjectName("hub.join")
        self.join_button.clicked.connect(lambda: spawn(self.join(), "join hub"))
        self.leave_button = QPushButton(self.tr("退出"), self)
        self.leave_button.setObjectName("hub.leave")
        self.leave_button.clicked.connect(lambda: spawn(self.leave(), "leave hub"))
        self.store = QLabel(self)
        self.store.setObjectName("hub.store")
        self.store.setWordWrap(True)
        self.result = QLabel(self)
        self.result.setObjectName("hub.result")
        self.result.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("总部地址"), self.url)
        form.addRow(self.tr("加入码"), self.code)
        buttons = QHBoxLayout()
        buttons.addWidget(self.join_button)
        buttons.addWidget(self.leave_button)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(
            QLabel(
                self.tr(
                    "连锁门店：填写总部地址和总部给的一次性加入码。加入后，平台订单经总部转到本机。"
                ),
                self,
            )
        )
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.store)
        lay.addWidget(self.result)
        lay.addStretch(1)
        self.show_status(service.hub_status())

    def _state_label(self, state: str) -> str:
        return {
            "off": self.tr("未加入"),
            "no_token": self.tr("缺少设备令牌，请重新加入"),
            "starting": self.tr("连接中"),
            "healthy": self.tr("已连接"),
            "error": self.tr("连接异常"),
        }.get(state, state)

    def show_status(self, status) -> None:
        joined = bool(status.joined)
        if joined:
            name = status.store_name or status.store_id
            text = self.tr("已加入门店：%1（%2）").replace("%1", name).replace("%2", status.url)
            text += "\n" + self._state_label(status.state)
            if status.detail:
                text += "：" + status.detail
            text += "\n" + self.tr("本次已上传 %1 条记录到总部").replace("%1", str(status.uploaded))
            if status.settings_version:
                text += "\n" + self.tr("已应用总部设定（版本 %1），设置中灰色项由总部统一").replace(
                    "%1", str(status.settings_version)
                )
            if status.sync_error:
                text += "\n" + self.tr("上传暂停：%1（恢复后自动补传）").replace(
                    "%1", status.sync_error
                )
            self.url.setText(status.url)
        else:
            text = self._state_label("off")
        self.store.setText(text)
        self.url.setReadOnly(joined)
        self.code.setEnabled(not joined)
        self.join_button.setEnabled(not joined)
        self.leave_button.setEnabled(joined)

    async def join(self) -> bool:
        url, code = self.url.text().strip(), self.code.text().strip()
        if not url or not code:
            self.result.setText(self.tr("请填写总部地址和加入码"))
            return False
        self.result.setText(self.tr("加入中…"))
        self.join_button.setEnabled(False)
        try:
            status = await self.service.join_hub(url=url, code=code)
        except Exception as e:  # HubError: the hub's reason (code used, unreachable, …)
            self.result.setStyleSheet("color:#cf222e;")
            self.result.setText(self.tr("加入失败：%1").replace("%1", str(e)[:300]))
            self.join_button.setEnabled(True)
            return False
        self.code.clear()
        self.result.setStyleSheet("color:#1a7f37;")
        self.result.setText(self.tr("已加入"))
        self.show_status(status)
        return True

    async def leave(self) -> bool:
        from app.ui.dialogs.ask import confirm

        if not await confirm(
            self,
            self.tr("退出总部"),
            self.tr("退出后本机不再接收总部转来的平台订单；总部需另行吊销本机。确定？"),
        ):
            return False
        status = await self.service.leave_hub()
        self.result.setStyleSheet("")
        self.result.setText(self.tr("已退出总部"))
        self.show_status(status)
        return True
