"""About dialog (version, licences), autostart entry, and the PIN gate on exports."""

import pytest

from app import __version__
from app.core import autostart
from app.ui.dialogs.about import AboutDialog, components


@pytest.mark.gui
def test_about_shows_version_and_licences(qtbot):
    dlg = AboutDialog()
    qtbot.addWidget(dlg)
    assert __version__ in dlg.head.text()
    rows = {n: lic for n, _, lic in components()}
    assert {"qasync", "httpx", "SQLAlchemy"} <= set(rows)
    assert rows["httpx"] and rows["SQLAlchemy"]
    html = dlg.body.toHtml()
    assert "SQLAlchemy" in html and "LGPL" in html


def test_autostart_writes_and_removes_the_xdg_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setattr(autostart.sys, "platform", "linux")
    assert autostart.supported() and not autostart.is_enabled()
    autostart.set_enabled(True)
    entry = (tmp_path / "autostart" / "jupei.desktop").read_text(encoding="utf-8")
    assert "Exec=" in entry and "-m app" in entry
    assert autostart.is_enabled()
    autostart.set_enabled(False)
    assert not autostart.is_enabled()
