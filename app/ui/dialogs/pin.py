"""The manager PIN gate in front of settings, reports and exports."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QCoreApplication


async def manager_gate(parent, service) -> bool:
    """Ask for the manager PIN (or, the first time, to set one). True when allowed."""
    from app.ui.bridge import report_error
    from app.ui.dialogs.ask import ask_text

    tr = QCoreApplication.translate
    # keyring reads are blocking OS I/O: keep them off the Qt thread
    if await asyncio.to_thread(service.manager_pin_set):
        pin = await ask_text(
            parent,
            tr("SettingsDialog", "店长验证"),
            tr("SettingsDialog", "请输入店长 PIN"),
            password=True,
        )
        if pin is None:
            return False
        if not await asyncio.to_thread(service.check_pin, pin):
            report_error(tr("SettingsDialog", "PIN 错误"))
            return False
        return True
    pin = await ask_text(
        parent,
        tr("SettingsDialog", "设置店长 PIN"),
        tr("SettingsDialog", "首次使用：请设置 4-12 位数字店长 PIN"),
        password=True,
    )
    if not pin:
        return False
    try:
        await service.set_pin(pin)
    except ValueError as e:
        report_error(str(e))
        return False
    return True
