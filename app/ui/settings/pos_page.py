"""POS listener page: port, the signing secret (show / rotate) and a signature example."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.bridge import spawn
from app.ui.settings.form import ModelForm

EXAMPLE = """import hashlib, hmac, json, secrets, time, urllib.request

SECRET = "{secret}"
order = {{
    "pos_order_id": "A1001", "created_at": "2026-11-24T12:00:00+08:00", "total_fen": 4200,
    "pickup_no": "A12", "items": [{{"name": "宫保鸡丁", "qty": 1, "price_fen": 4200}}],
    "customer": {{"name": "张三", "phone": "13812345678", "address": "上海市黄浦区西藏中路268号",
                 "lat": 31.2330, "lng": 121.4760, "coord_system": "gcj02"}},
}}
body = json.dumps(order, ensure_ascii=False).encode()
ts, nonce = str(int(time.time())), secrets.token_urlsafe(18)
sig = hmac.new(SECRET.encode(), f"{{ts}}.{{nonce}}.".encode() + body, hashlib.sha256).hexdigest()
req = urllib.request.Request("http://{host}:{port}/api/v1/orders", data=body, headers={{
    "Content-Type": "application/json", "X-Jupei-Timestamp": ts,
    "X-Jupei-Nonce": nonce, "X-Jupei-Signature": sig}})
print(urllib.request.urlopen(req).read().decode())
"""


class PosPage(QWidget):
    def __init__(self, service, parent=None) -> None:
        super().__init__(parent)
        self.service = service
        self.form = ModelForm(service.settings.pos, "pos", skip=("secret",), parent=self)
        self.secret = QLineEdit(self)
        self.secret.setObjectName("pos.secret_view")
        self.secret.setReadOnly(True)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        show = QPushButton(self.tr("显示"), self)
        show.setCheckable(True)
        show.toggled.connect(self._toggle)
        rotate = QPushButton(self.tr("更换密钥"), self)
        rotate.setObjectName("pos.rotate")
        rotate.clicked.connect(lambda: spawn(self.rotate(), "rotate POS secret"))
        copy = QPushButton(self.tr("复制示例"), self)
        copy.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.example.toPlainText())
        )
        self.example = QPlainTextEdit(self)
        self.example.setReadOnly(True)
        row = QHBoxLayout()
        for w in (QLabel(self.tr("签名密钥")), self.secret, show, rotate):
            row.addWidget(w)
        lay = QVBoxLayout(self)
        lay.addWidget(self.form)
        lay.addLayout(row)
        lay.addWidget(QLabel(self.tr("签名示例（Python）")))
        lay.addWidget(self.example)
        lay.addWidget(copy)
        self._fill(service.pos_secret())

    def _fill(self, secret: str) -> None:
        self.secret.setText(secret)
        pos = self.service.settings.pos
        self.example.setPlainText(EXAMPLE.format(secret=secret, host=pos.host, port=pos.port))

    def _toggle(self, on: bool) -> None:
        self.secret.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password)

    async def rotate(self) -> None:
        from app.ui.dialogs.ask import confirm

        if await confirm(self, self.tr("更换密钥"), self.tr("更换后收银系统需使用新密钥，确定？")):
            self._fill(await self.service.rotate_pos_secret())
