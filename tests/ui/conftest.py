"""UI test setup: closing a window must not quit the shared QApplication (that would
stop the qasync loop under a running async test)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _keep_app_alive(qapp):
    qapp.setQuitOnLastWindowClosed(False)
    yield
