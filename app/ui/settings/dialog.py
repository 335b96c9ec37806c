"""``SettingsDialog``: one tab per ``Settings`` section, built from the models; saved with
``service.save_settings`` (secrets go to the keyring via ``set_carrier_secret`` and
``set_source_secret``, never into the file)."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
)

from app.core.config import CarriersSettings, Settings
from app.ui.bridge import spawn
from app.ui.settings.carriers import CarrierPage
from app.ui.settings.form import ModelForm
from app.ui.settings.headoffice import mark_headoffice
from app.ui.settings.hub_page import HubPage
from app.ui.settings.pos_page import PosPage
from app.ui.settings.sources_page import SourcesPage

log = logging.getLogger(__name__)

SECTIONS = ("store", "dispatch", "printing", "alerts", "rehearsal", "ui", "privacy")


class SettingsDialog(QDialog):
    def __init__(self, service, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(self.tr("设置（店长）"))
        self.resize(760, 620)
        self.service = service
        s: Settings = service.settings
        self.tabs = QTabWidget(self)
        self.forms: dict[str, ModelForm] = {
            sec: ModelForm(getattr(s, sec), sec, parent=self) for sec in SECTIONS
        }
        self.carrier_pages = self._carrier_pages(s)
        self.pos_page = PosPage(service, self)
        self.sources_page = SourcesPage(service, self)
        self.hub_page = HubPage(service, self)  # joins/leaves at once, not on 保存
        titles = {"store": self.tr("门店"), "dispatch": self.tr("派单规则"),
                  "printing": self.tr("打印"), "alerts": self.tr("提醒"),
                  "rehearsal": self.tr("演练模式"), "ui": self.tr("界面"),
                  "privacy": self.tr("隐私")}  # fmt: skip
        self.tabs.addTab(self.forms["store"], titles["store"])
        self.tabs.addTab(self._carrier_tabs(), self.tr("运力"))
        for sec in SECTIONS[1:]:
            self.tabs.addTab(self.forms[sec], titles[sec])
        self.tabs.insertTab(3, self.pos_page, self.tr("收银接口"))
        self.tabs.insertTab(4, self.sources_page, self.tr("订单来源"))
        self.tabs.addTab(self.hub_page, self.tr("总部"))
        self.tiles = self._tiles_row()
        self._privacy_note()
        self.status = QLabel(self)
        self.status.setObjectName("settingsStatus")
        if service.secret_problem:
            self.status.setText(self.tr("密钥仅本次有效：%1").replace("%1", service.secret_problem))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(lambda: spawn(self.save(), "save settings"))
        buttons.rejected.connect(self.reject)
        self.locked = mark_headoffice(self, service.headoffice_locked())
        if self.locked and not service.secret_problem:
            self.status.setText(self.tr("灰色项为总部设定，本店不能修改"))
        lay = QVBoxLayout(self)
        lay.addWidget(self.tabs)
        lay.addWidget(self.status)
        lay.addWidget(buttons)

    def _privacy_note(self) -> None:
        """[privacy] retain_days: at least 1 day, and what the nightly job does."""
        form = self.forms["privacy"]
        days = form.findChild(QSpinBox, "privacy.retain_days")
        if days is not None:
            days.setRange(1, 3650)
        note = QLabel(
            self.tr(
                "超过保留天数的订单，每晚把顾客完整手机号、姓名和详细地址脱敏："
                "只留掩码手机号（138****5678）、所在区和金额，报表和对账不受影响。"
            ),
            form,
        )
        note.setObjectName("privacyNote")
        note.setWordWrap(True)
        form.layout().addRow(note)

    def _tiles_row(self) -> QComboBox:
        from app.ui.prefs import tile_source

        combo = QComboBox(self)
        combo.setObjectName("ui.map_tiles")
        combo.setEditable(True)
        combo.addItems(["autonavi", "osm", "offline"])
        combo.setCurrentText(tile_source())
        combo.setToolTip(
            self.tr(
                "autonavi = 高德 (GCJ-02，中国大陆)；osm = OpenStreetMap (境外)；offline = 不加载瓦片；也可填写 XYZ 模板"
            )
        )
        self.forms["ui"].layout().addRow(self.tr("地图瓦片源"), combo)
        return combo

    def _carrier_pages(self, s: Settings) -> dict[str, CarrierPage]:
        pages = {}
        for cid, facts in self.service.carriers().items():
            if facts.rules is None:
                continue  # self delivery: nothing to configure
            try:
                pages[cid] = CarrierPage(self.service, cid, s.carriers.get(cid), self)
            except Exception as e:  # a carrier package still being written
                log.info("carrier %s settings unavailable: %s", cid, e)
        return pages

    def _carrier_tabs(self) -> QTabWidget:
        from app.ui.labels import carrier_label

        t = QTabWidget(self)
        for cid, page in self.carrier_pages.items():
            t.addTab(page, carrier_label(cid))
        return t

    def new_settings(self) -> Settings:
        s: Settings = self.service.settings
        carriers = s.carriers.model_dump()
        for cid, page in self.carrier_pages.items():
            carriers[cid] = page.value()
        update = {sec: form.value() for sec, form in self.forms.items()}
        update["pos"] = self.pos_page.form.value().model_copy(update={"secret": s.pos.secret})
        update["carriers"] = CarriersSettings.model_validate(carriers)
        update["sources"] = self.sources_page.value()
        return s.model_copy(update=update)

    async def save(self) -> bool:
        try:
            new = self.new_settings()
        except Exception as e:
            self.status.setText(self.tr("无效设置：%1").replace("%1", str(e)[:300]))
            return False
        for page in self.carrier_pages.values():
            page.save_secrets()
        self.sources_page.save_secrets()
        from app.ui.prefs import set_tile_source

        set_tile_source(self.tiles.currentText())
        try:
            await self.service.save_settings(new)
        except ValueError as e:  # HeadOfficeLocked: a head-office value was changed
            self.status.setText(self.tr("未保存：%1").replace("%1", str(e)[:300]))
            return False
        self.status.setText(self.tr("已保存"))
        self.accept()
        return True


async def open_settings(parent, service) -> SettingsDialog | None:
    """Ask for the manager PIN (or to set one), then open the dialog non-modally."""
    from app.ui.dialogs.pin import manager_gate

    if not await manager_gate(parent, service):
        return None
    dlg = SettingsDialog(service, parent)
    dlg.open()
    return dlg
