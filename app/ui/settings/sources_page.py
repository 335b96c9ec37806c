"""Order sources page (订单来源): one group per platform (美团外卖, 饿了么) with the mode,
hosts, the push address to enter in the platform console, confirm/pull/stall knobs, the
plain credentials (into ``[sources.<id>]``), the secrets (keyring only, through
``service.set_source_secret``), "test connection" and, for 饿了么, the OAuth
authorisation (open the page, paste the code or the address the browser landed on)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.config import SourceSettings, SourcesSettings
from app.ui.bridge import spawn

log = logging.getLogger(__name__)

MTOP_KEYS = frozenset({"developer_id", "sign_key", "app_auth_token", "e_poi_id"})


def _t(text: str) -> str:
    return QCoreApplication.translate("SourcesPage", text)


def mode_label(mode: str) -> str:
    return {"off": _t("关闭"), "push": _t("推送"), "pull": _t("拉取")}.get(mode, mode)


def key_label(key: str) -> str:
    return {
        "app_id": _t("应用 ID (app_id)"),
        "app_secret": _t("应用密钥 (app_secret)"),
        "app_poi_code": _t("门店编码 (app_poi_code)"),
        "app_key": _t("应用 Key (app_key)"),
        "shop_id": _t("店铺 ID (shop_id)"),
        "access_token": _t("访问令牌 (access_token)"),
        "refresh_token": _t("刷新令牌 (refresh_token)"),
        "developer_id": _t("开发者 ID (MTOp)"),
        "sign_key": _t("签名密钥 (MTOp)"),
        "app_auth_token": _t("门店授权令牌 (MTOp)"),
        "e_poi_id": _t("门店 ePoiId (MTOp)"),
        "client_id": _t("应用 client_id (有赞)"),
        "client_secret": _t("应用密钥 (client_secret)"),
        "kdt_id": _t("店铺 ID (kdt_id)"),
        "client_key": _t("应用 client_key (抖音)"),
        "ma_app_id": _t("小程序 AppID (ma_app_id)"),
        "poi_id": _t("门店 ID (poi_id)"),
        "account_id": _t("来客商户根账户 ID (account_id)"),
        "shop_identy": _t("门店 ID (shopIdenty, 客如云)"),
        "token": _t("门店授权令牌 (token, 客如云)"),
        "group_id": _t("集团 ID (groupID, 哗啦啦)"),
    }.get(key, key)


def _spin(value: int, lo: int, hi: int, suffix: str, parent: QWidget) -> QSpinBox:
    w = QSpinBox(parent)
    w.setRange(lo, hi)
    w.setValue(value)
    w.setSuffix(suffix)
    return w


class SourceGroup(QGroupBox):
    """One platform's settings; ``value()`` is its ``SourceSettings`` without secrets."""

    def __init__(self, service, facts, ss: SourceSettings, parent=None) -> None:
        super().__init__(facts.name_zh if _t("zh") == "zh" else facts.name_en, parent)
        self.service, self.facts, self.ss, self.sid = service, facts, ss, facts.id
        self.sources_on_screen = None  # the page's ``value`` once it holds this group
        self.setObjectName(f"sources.{self.sid}")
        self.form = QFormLayout(self)
        self.mode = QComboBox(self)
        # only what the platform supports (its rules): 哗啦啦 has no push, 客如云/有赞/抖音 no pull
        for m in facts.modes:
            self.mode.addItem(mode_label(m), m)
        self.mode.setCurrentIndex(max(self.mode.findData(ss.mode), 0))
        self.form.addRow(_t("接单方式"), self.mode)
        self.base_url = self._line("base_url", ss.base_url, facts.production_base_url)
        self.form.addRow(_t("接口地址"), self.base_url)
        self.push_base_url = self._line("push_base_url", ss.push_base_url, "https://…")
        self.push_hint = QLabel(self)
        self.push_hint.setObjectName(f"sources.{self.sid}.push_hint")
        self.push_hint.setTextFormat(Qt.TextFormat.PlainText)  # URLs, line by line
        self.push_hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.push_hint.setStyleSheet("color:#57606a;")
        self.push_base_url.textChanged.connect(self._update_hint)
        if facts.push_kinds:
            self.form.addRow(_t("推送地址前缀"), self.push_base_url)
        else:
            self.push_base_url.hide()
        self.form.addRow("", self.push_hint)
        self._knobs(ss)
        self.plain: dict[str, QLineEdit] = {}
        self.secret: dict[str, QLineEdit] = {}
        mtop = str(ss.options.get("variant", "")) == "mtop"
        for key in facts.credential_keys:
            if key in MTOP_KEYS and not mtop:
                continue  # the MTOp variant's keys only when it is chosen (options.variant)
            self._credential_row(key)
        self._extra_rows(ss)
        self.result = QLabel(self)
        self.result.setObjectName(f"sources.{self.sid}.test_result")
        self.result.setWordWrap(True)
        test = QPushButton(_t("测试连接"), self)
        test.setObjectName(f"sources.{self.sid}.test")
        test.clicked.connect(lambda: spawn(self.test_connection(), "test source"))
        self.form.addRow(test, self.result)
        self._update_hint()

    def _line(self, name: str, text: str, placeholder: str = "") -> QLineEdit:
        e = QLineEdit(text, self)
        e.setObjectName(f"sources.{self.sid}.{name}")
        e.setPlaceholderText(placeholder)
        return e

    def _knobs(self, ss: SourceSettings) -> None:
        self.auto_confirm = QCheckBox(_t("新订单自动接单"), self)
        self.auto_confirm.setObjectName(f"sources.{self.sid}.auto_confirm")
        self.auto_confirm.setChecked(ss.auto_confirm)
        self.form.addRow(_t("自动接单"), self.auto_confirm)
        self.pull_interval_s = _spin(ss.pull_interval_s, 10, 3600, _t(" 秒"), self)
        self.pull_interval_s.setObjectName(f"sources.{self.sid}.pull_interval_s")
        self.form.addRow(_t("拉单间隔"), self.pull_interval_s)
        self.platform_stall_min = _spin(ss.platform_stall_min, 1, 120, _t(" 分钟"), self)
        self.platform_stall_min.setObjectName(f"sources.{self.sid}.platform_stall_min")
        self.platform_stall_min.setToolTip(_t("平台配送超过该时间无骑手接单时提示转自配送"))
        self.form.addRow(_t("平台配送超时"), self.platform_stall_min)

    def _credential_row(self, key: str) -> None:
        edit = self._line(key, "")
        if key in self.facts.secret_keys:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            present = self.service.source_secret_present(self.sid, key)
            edit.setPlaceholderText(_t("已保存在系统钥匙串（留空不修改）") if present
                                    else _t("保存到系统钥匙串"))  # fmt: skip
            self.secret[key] = edit
        else:
            edit.setText(self.ss.credential(key) or "")
            self.plain[key] = edit
        self.form.addRow(key_label(key), edit)

    def _extra_rows(self, ss: SourceSettings) -> None:
        """Per-platform rows beyond the credentials (饿了么: OAuth)."""

    def _update_hint(self) -> None:
        if not self.facts.push_kinds:
            self.push_hint.setText(_t("该平台不推送订单：按拉单间隔拉取"))
            return
        base = self.push_base_url.text().strip().rstrip("/")
        if not base:
            self.push_hint.setText(_t("仅推送模式需要：平台后台可访问的公网地址（如经中转）"))
            return
        urls = "\n".join(f"{base}/{k}" for k in self.facts.push_kinds)
        self.push_hint.setText(_t("在平台后台填写：") + "\n" + urls)

    # ----------------------------------------------------------------- values
    def value(self) -> SourceSettings:
        data = self.ss.model_dump()
        for k in self.facts.secret_keys:
            data.pop(k, None)
        data.update(
            mode=self.mode.currentData(),
            base_url=self.base_url.text().strip(),
            push_base_url=self.push_base_url.text().strip().rstrip("/"),
            auto_confirm=self.auto_confirm.isChecked(),
            pull_interval_s=self.pull_interval_s.value(),
            platform_stall_min=self.platform_stall_min.value(),
        )
        data.update({k: e.text().strip() for k, e in self.plain.items()})
        return SourceSettings.model_validate(data)

    def typed_secrets(self) -> dict[str, str]:
        return {k: e.text() for k, e in self.secret.items() if e.text()}

    def save_secrets(self) -> list[str]:
        saved = []
        for key, value in self.typed_secrets().items():
            self.service.set_source_secret(self.sid, key, value)
            self.secret[key].clear()
            self.secret[key].setPlaceholderText(_t("已保存在系统钥匙串（留空不修改）"))
            saved.append(key)
        return saved

    def _settings_on_screen(self):
        """The saved settings with this page's (unsaved) sources, as a test needs them."""
        s = self.service.settings
        if self.sources_on_screen is not None:
            return s.model_copy(update={"sources": self.sources_on_screen()})
        data = s.sources.model_dump()
        data[self.sid] = self.value()
        return s.model_copy(update={"sources": SourcesSettings.model_validate(data)})

    async def test_connection(self) -> bool:
        self.result.setText(_t("测试中…"))
        check = await self.service.test_source(
            self.sid, self._settings_on_screen(), typed=self.typed_secrets()
        )
        self._show(check)
        return bool(check.ok)

    def _show(self, check) -> None:
        text = check.text("zh" if _t("zh") == "zh" else "en")
        colour = "#1a7f37" if check.ok else "#cf222e"
        self.result.setStyleSheet(f"color:{colour};")
        self.result.setText(text)


class ElemeGroup(SourceGroup):
    """饿了么: the OAuth authorisation code flow from the dialog."""

    def _extra_rows(self, ss: SourceSettings) -> None:
        self.redirect_uri = self._line("redirect_uri", ss.credential("redirect_uri") or "",
                                       "https://…/eleme/callback")  # fmt: skip
        self.redirect_uri.setToolTip(_t("与饿了么开放平台应用设置的回调地址一致"))
        self.form.addRow(_t("授权回调地址"), self.redirect_uri)
        self.plain["redirect_uri"] = self.redirect_uri
        self.auth_url = self._line("auth_url", "")
        self.auth_url.setReadOnly(True)
        self.auth_url.setPlaceholderText(_t("点击“授权…”后在浏览器中登录饿了么商家账号并同意"))
        authorise = QPushButton(_t("授权…"), self)
        authorise.setObjectName("sources.eleme.authorize")
        authorise.clicked.connect(self.authorize)
        row = QWidget(self)
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(self.auth_url, 1)
        h.addWidget(authorise)
        self.form.addRow(_t("店铺授权"), row)
        self.code = self._line("code", "", _t("粘贴授权码，或浏览器跳转后的完整地址"))
        exchange = QPushButton(_t("换取令牌"), self)
        exchange.setObjectName("sources.eleme.exchange")
        exchange.clicked.connect(lambda: spawn(self.exchange(), "eleme authorisation"))
        row2 = QWidget(self)
        h2 = QHBoxLayout(row2)
        h2.setContentsMargins(0, 0, 0, 0)
        h2.addWidget(self.code, 1)
        h2.addWidget(exchange)
        self.form.addRow(_t("授权码"), row2)
        self.open_url = QDesktopServices.openUrl  # tests replace it (no browser)

    def authorize(self) -> str:
        try:
            url = self.service.eleme_authorize_url(self._settings_on_screen())
        except ValueError:
            self.result.setStyleSheet("color:#cf222e;")
            self.result.setText(_t("请先填写应用 Key (app_key)"))
            return ""
        self.auth_url.setText(url)
        self.open_url(QUrl(url))
        return url

    async def exchange(self) -> bool:
        check = await self.service.eleme_exchange_code(
            self.code.text(), self._settings_on_screen(), typed=self.typed_secrets()
        )
        self._show(check)
        if check.ok:
            self.code.clear()
            for key in ("access_token", "refresh_token"):
                if key in self.secret:
                    self.secret[key].setPlaceholderText(_t("已保存在系统钥匙串（留空不修改）"))
        return bool(check.ok)


class SourcesPage(QScrollArea):
    """All sources; ``value()`` is the ``[sources]`` table, secrets excluded."""

    def __init__(self, service, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("sourcesPage")
        self.setWidgetResizable(True)
        self.service = service
        inner = QWidget(self)
        lay = QVBoxLayout(inner)
        note = QLabel(
            _t("美团外卖、饿了么的自配送订单自动进入看板；密钥只保存在系统钥匙串。"), inner
        )
        note.setWordWrap(True)
        lay.addWidget(note)
        self.groups: dict[str, SourceGroup] = {}
        s = service.settings
        for sid, facts in service.source_facts().items():
            cls = ElemeGroup if sid == "eleme" else SourceGroup
            self.groups[sid] = cls(service, facts, s.sources.get(sid), inner)
            self.groups[sid].sources_on_screen = self.value
            lay.addWidget(self.groups[sid])
        lay.addStretch(1)
        self.setWidget(inner)

    def value(self) -> SourcesSettings:
        data = self.service.settings.sources.model_dump()
        for sid, group in self.groups.items():
            data[sid] = group.value()
        return SourcesSettings.model_validate(data)

    def save_secrets(self) -> list[str]:
        return [f"{sid}.{k}" for sid, g in self.groups.items() for k in g.save_secrets()]
