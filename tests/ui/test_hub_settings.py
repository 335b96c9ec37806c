"""The 总部 page of the settings dialog against a fake service door: 加入 sends the address
and the code to ``join_hub`` and shows the joined store; a refused code shows the hub's
reason and keeps the form usable; 退出 (after a yes) calls ``leave_hub``."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from app.hub.client import HubError
from app.ui.settings.hub_page import HubPage
from tests.helpers import wait_until

pytestmark = [pytest.mark.gui, pytest.mark.asyncio]


@dataclass(frozen=True)
class Status:
    joined: bool = False
    url: str = ""
    store_id: str = ""
    store_name: str = ""
    state: str = "off"
    detail: str = ""
    delivered: int = 0
    uploaded: int = 0
    sync_error: str = ""
    settings_version: int = 0


class FakeHubDoor:
    """The three ``AppService`` hub operations, recording what they were asked."""

    def __init__(self) -> None:
        self.status = Status()
        self.joins: list[tuple[str, str]] = []
        self.left = 0
        self.valid_code = "ABCD-EFGH-JKLM"

    def hub_status(self) -> Status:
        return self.status

    async def join_hub(self, *, url: str, code: str, device_name: str = "") -> Status:
        self.joins.append((url, code))
        if code != self.valid_code:
            raise HubError("enrolment refused (HTTP 403): enrolment code unknown, already used")
        self.status = Status(True, url, "s1", "人民路店", "healthy")
        return self.status

    async def leave_hub(self) -> Status:
        self.left += 1
        self.status = Status()
        return self.status


def _confirm_box():
    for w in QApplication.topLevelWidgets():
        if isinstance(w, QMessageBox) and w.objectName() == "confirmBox" and w.isVisible():
            return w
    return None


async def test_join_shows_the_store_and_leave_forgets_it(qtbot):
    door = FakeHubDoor()
    page = HubPage(door)
    qtbot.addWidget(page)
    page.show()
    assert page.join_button.isEnabled() and not page.leave_button.isEnabled()
    assert "未加入" in page.store.text()

    page.url.setText("https://hub.example.cn")
    page.code.setText("WRONG-CODE")
    assert await page.join() is False
    assert "already used" in page.result.text() and page.join_button.isEnabled()

    page.code.setText(door.valid_code)
    qtbot.mouseClick(page.join_button, Qt.MouseButton.LeftButton)
    await wait_until(lambda: door.status.joined and "人民路店" in page.store.text(), timeout=10)
    assert door.joins[-1] == ("https://hub.example.cn", door.valid_code)
    assert "已连接" in page.store.text() and page.code.text() == ""
    assert page.leave_button.isEnabled() and not page.join_button.isEnabled()
    assert page.url.isReadOnly() and "已上传 0 条" in page.store.text()
    door.status = Status(True, "https://hub.example.cn", "s1", "人民路店", "error",
                         "hub not reached", 0, 12, "hub not reached: ConnectError")  # fmt: skip
    page.show_status(door.hub_status())
    assert "连接异常" in page.store.text() and "上传暂停" in page.store.text()
    assert "总部设定" not in page.store.text()  # none applied yet
    door.status = Status(True, "https://hub.example.cn", "s1", "人民路店", "healthy",
                         settings_version=7)  # fmt: skip
    page.show_status(door.hub_status())
    assert "已应用总部设定（版本 7）" in page.store.text()

    qtbot.mouseClick(page.leave_button, Qt.MouseButton.LeftButton)
    box = await wait_until(_confirm_box, timeout=10)
    box.button(QMessageBox.StandardButton.Yes).click()
    await wait_until(lambda: door.left == 1 and page.join_button.isEnabled(), timeout=10)
    assert "已退出总部" in page.result.text() and not page.url.isReadOnly()


async def test_empty_fields_are_asked_for_without_calling_the_hub(qtbot):
    door = FakeHubDoor()
    page = HubPage(door)
    qtbot.addWidget(page)
    assert await page.join() is False
    assert door.joins == [] and "请填写" in page.result.text()


async def test_the_page_speaks_english(qtbot, qapp):
    from app.ui.i18n import install_translators, remove_translators

    ts = install_translators(qapp, "en")
    try:
        page = HubPage(FakeHubDoor())
        qtbot.addWidget(page)
        assert page.join_button.text() == "Join" and page.leave_button.text() == "Leave"
        assert page.store.text() == "Not joined"
        page.show_status(Status(True, "https://h", "s1", "店", "healthy", settings_version=7))
        assert "Head-office settings version 7 applied" in page.store.text()
    finally:
        remove_translators(qapp, ts)
        install_translators(qapp, "zh_CN")
