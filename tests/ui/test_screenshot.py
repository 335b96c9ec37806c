"""A screenshot of the main window with Chinese text actually rendered (a CJK font)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QFont, QFontDatabase, QRawFont
from PySide6.QtWidgets import QLabel

from app.ui.main_window import MainWindow
from tests.helpers import started_core, wait_until


def test_cjk_font_renders(qtbot):
    text = "您有新的订单"
    families = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    assert families
    # some installed CJK font really has every glyph (Qt falls back to it for the label)
    cjk = QFontDatabase.WritingSystem.SimplifiedChinese
    raws = [QRawFont.fromFont(QFont(f), cjk) for f in families]
    # the ucs4 overload: PySide6 maps a str argument to a QChar wrongly for some hanzi
    assert any(all(r.supportsCharacter(ord(c)) for c in text) for r in raws)
    lbl = QLabel(text)
    qtbot.addWidget(lbl)
    lbl.resize(200, 40)
    img = lbl.grab().toImage()
    dark = sum(
        1
        for x in range(img.width())
        for y in range(img.height())
        if QColor(img.pixel(x, y)).lightness() < 100
    )
    assert dark > 50


@pytest.mark.gui
@pytest.mark.asyncio
async def test_main_window_screenshot(qtbot, tmp_path):
    async with started_core(tmp_path) as core:
        win = MainWindow(core.service, tile_source="offline")
        qtbot.addWidget(win)
        await win.start()
        win.resize(1400, 860)
        win.show()
        out = await win.simulate_order_async()
        await wait_until(lambda: win.model.row_for(out.order.id) is not None)
        assert win.findChild(QLabel, "rehearsalBanner").text().startswith("演练模式")
        path = tmp_path / "main.png"
        assert win.grab().save(str(path))
        assert path.stat().st_size > 20_000
        win.close()
