"""UI test setup: the app's Chinese Qt catalogue; closing a window must not quit the
shared QApplication (that would stop the qasync loop under a running async test)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _chinese_qt_catalogue(qapp):
    """As the app starts (``app.ui.app._make_app``): Qt's own words in Chinese, so a
    dialog's buttons read 保存/取消 in tests and their screenshots too (a test that
    switches to English installs zh_CN again when it is done)."""
    from app.ui.i18n import install_translators

    install_translators(qapp, "zh_CN")


@pytest.fixture(autouse=True)
def _keep_app_alive(qapp):
    qapp.setQuitOnLastWindowClosed(False)
    yield
