"""Carrier pages: enable, sandbox/production base URL, plain credentials into
``[carriers.<id>]``, secret credentials into the keyring only, and "test connection"."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.core.config import CarrierSettings
from app.core.money import fmt_money
from app.ui.bridge import spawn

log = logging.getLogger(__name__)


class CarrierPage(QWidget):
    def __init__(self, service, carrier_id: str, cs: CarrierSettings, parent=None) -> None:
        super().__init__(parent)
        self.service, self.cid, self.cs = service, carrier_id, cs
        rules = service.carriers()[carrier_id].rules
        assert rules is not None  # self delivery has no settings page
        self.rules = rules
        lay = QFormLayout(self)
        self.enabled = QCheckBox(self)
        self.enabled.setChecked(cs.enabled)
        self.enabled.setObjectName(f"carriers.{carrier_id}.enabled")
        lay.addRow(self.tr("启用"), self.enabled)
        self.base_url = QLineEdit(cs.base_url, self)
        self.base_url.setPlaceholderText(self.rules.production_base_url)
        self.base_url.setObjectName(f"carriers.{carrier_id}.base_url")
        lay.addRow(self.tr("接口地址"), self._url_row())
        self.plain: dict[str, QLineEdit] = {}
        self.secret: dict[str, QLineEdit] = {}
        optional = tuple(k for k in self.rules.secret_keys if k not in self.rules.credential_keys)
        for key in self.rules.credential_keys + optional:  # DoorDash webhook_auth is optional
            self._credential_row(lay, key)
        self.result = QLabel(self)
        self.result.setObjectName(f"carriers.{carrier_id}.test_result")
        test = QPushButton(self.tr("测试连接（询价一单）"), self)
        test.setObjectName(f"carriers.{carrier_id}.test")
        test.clicked.connect(lambda: spawn(self.test_connection(), "test connection"))
        lay.addRow(test, self.result)
        self.check_result = QLabel(self)
        self.check_result.setObjectName(f"carriers.{carrier_id}.check_result")
        self.check_result.setWordWrap(True)
        self.check_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check_button = QPushButton(self.tr("首日检查（只询价，不下单）"), self)
        self.check_button.setObjectName(f"carriers.{carrier_id}.check")
        self.check_button.setToolTip(
            self.tr("用已保存的凭据调用安全接口，对照适配器的预期，列出不一致和要改的选项")
        )
        self.check_button.clicked.connect(lambda: spawn(self.run_check(), "carrier check"))
        lay.addRow(self.check_button, self.check_result)

    def _url_row(self) -> QWidget:
        w = QWidget(self)
        h = QHBoxLayout(w)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(self.base_url, 1)
        for text, url in ((self.tr("沙箱"), self.rules.sandbox_base_url),
                          (self.tr("正式"), self.rules.production_base_url)):  # fmt: skip
            b = QPushButton(text, w)
            b.clicked.connect(lambda _=False, u=url: self.base_url.setText(u))
            h.addWidget(b)
        return w

    def _credential_row(self, lay: QFormLayout, key: str) -> None:
        edit = QLineEdit(self)
        edit.setObjectName(f"carriers.{self.cid}.{key}")
        if key in self.rules.secret_keys:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            present = self.service.carrier_secret_present(self.cid, key)
            edit.setPlaceholderText(self.tr("已保存在系统钥匙串（留空不修改）") if present
                                    else self.tr("保存到系统钥匙串"))  # fmt: skip
            self.secret[key] = edit
        else:
            edit.setText(self.cs.credential(key) or "")
            self.plain[key] = edit
        lay.addRow(key, edit)

    def value(self) -> CarrierSettings:
        data = self.cs.model_dump()
        for k in self.rules.secret_keys:
            data.pop(k, None)
        data.update(enabled=self.enabled.isChecked(), base_url=self.base_url.text().strip())
        data.update({k: e.text().strip() for k, e in self.plain.items()})
        return CarrierSettings.model_validate(data)

    def save_secrets(self) -> list[str]:
        saved = []
        for key, edit in self.secret.items():
            if edit.text():
                self.service.set_carrier_secret(self.cid, key, edit.text())
                edit.clear()
                saved.append(key)
        return saved

    async def test_connection(self) -> bool:
        try:
            q = await self.service.test_carrier(self.cid)
        except KeyError:
            self.result.setText(self.tr("未启用或缺少凭据（保存后再试）"))
            return False
        except Exception as e:
            log.info("test quote via %s failed: %s", self.cid, e)
            self.result.setText(self.tr("失败：%1").replace("%1", str(e)[:120]))
            return False
        store = getattr(getattr(self.service, "settings", None), "store", None)
        cur = str(q.raw.get("currency") or getattr(store, "currency", "CNY"))
        self.result.setText(self.tr("成功：报价 %1").replace("%1", fmt_money(q.fee_fen, cur)))
        return True

    async def run_check(self) -> bool:
        """The first-day check through the service (async, the GUI stays live); the
        step in progress, then the report in the UI language."""
        self.check_button.setEnabled(False)
        self.check_result.setText(self.tr("检查中…"))

        steps = {
            "cities": self.tr("城市列表"),
            "quote": self.tr("询价"),
            "create": self.tr("测试下单"),
            "cancel": self.tr("取消测试单"),
        }

        def step(name: str) -> None:  # "probe <option>=<value>" is shown as it is
            self.check_result.setText(self.tr("检查中：%1").replace("%1", steps.get(name, name)))

        try:
            report = await self.service.check_carrier(self.cid, progress=step)
        except Exception as e:
            log.info("carrier check of %s failed: %s", self.cid, e)
            self.check_result.setText(self.tr("失败：%1").replace("%1", str(e)[:120]))
            return False
        finally:
            self.check_button.setEnabled(True)
        en = QCoreApplication.translate("labels", "zh") == "en"
        self.check_result.setText(report.render("en" if en else "zh_CN"))
        return report.matched
