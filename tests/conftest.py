"""Suite-wide setup: offscreen Qt, qasync loops for async tests, an in-memory keyring,
a hang watchdog, garbage collection on the main (GUI) thread only, and failing on
unexpected WARNING logs."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

import asyncio
import faulthandler
import gc
import logging
import sys

import keyring
import pytest
import pytest_asyncio

from app.ui.garbage import collect_if_due
from tests.fakes.keyring import InMemoryKeyring

# no test reads the developer's real config or env overrides (JUPEI_TEST_* are the
# test run's own settings, e.g. JUPEI_TEST_PG_URL for the hub tests)
for _k in [k for k in os.environ if k.startswith("JUPEI_") and not k.startswith("JUPEI_TEST_")]:
    del os.environ[_k]


def pytest_asyncio_loop_factories(config, item):
    """Async tests marked ``gui`` run on a qasync loop so Qt timers fire; others on a
    plain asyncio loop (faster, and proves the core needs no Qt)."""
    if item.get_closest_marker("gui") is None:
        return {"asyncio": asyncio.new_event_loop}

    def qasync_loop():
        import qasync
        from PySide6.QtWidgets import QApplication

        return qasync.QEventLoop(QApplication.instance() or QApplication([]))

    return {"qasync": qasync_loop}


_GC_THRESHOLDS = gc.get_threshold()


def pytest_configure(config):
    # As in the app (app/ui/garbage.py): many tests run a core thread beside Qt, and an
    # automatic collection there would free the GUI thread's Qt objects off their thread.
    gc.disable()


@pytest.fixture(autouse=True)
def _collect_on_main_thread():
    yield
    collect_if_due(_GC_THRESHOLDS)


@pytest.fixture(autouse=True)
def memory_keyring():
    prev = keyring.get_keyring()
    kr = InMemoryKeyring()
    keyring.set_keyring(kr)
    yield kr
    keyring.set_keyring(prev)


@pytest.fixture(autouse=True)
def _hang_watchdog(request):
    # pytest-timeout cannot break a qasync hang (stack notes §3.2 G1): a C-level dump
    # and exit turns a hang into a failure instead of a stalled CI. Slow tests (the
    # 10,000-request fuzz, the 100k export) get longer on a busy 2-core machine.
    limit = 900 if request.node.get_closest_marker("slow") else 180
    faulthandler.dump_traceback_later(limit, exit=True, file=sys.__stderr__)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(autouse=True)
def _fail_on_warning_logs(caplog, request):
    """An unexpected WARNING log is a failure (qutebrowser's rule). Tests that expect one
    mark themselves ``@pytest.mark.allow_warnings`` or clear caplog."""
    caplog.set_level(logging.INFO)
    yield
    if request.node.get_closest_marker("allow_warnings"):
        return
    bad = [
        r
        for r in caplog.get_records("call")
        if r.levelno >= logging.WARNING and not getattr(r, "expected", False)
    ]
    if bad:
        pytest.fail("unexpected warning logs: " + "; ".join(r.getMessage() for r in bad[:5]))


@pytest.fixture
def tmp_data(tmp_path, monkeypatch):
    """Point every platform dir at a temp folder."""
    monkeypatch.setenv("JUPEI_HOME", str(tmp_path))
    return tmp_path


@pytest_asyncio.fixture
async def pos(tmp_path):
    """A started core with the POS listener on a free loopback port, and a signing client."""
    import httpx

    from tests.fakes.pos import PosClient
    from tests.helpers import started_core

    async with started_core(tmp_path, pos=True) as core, httpx.AsyncClient(timeout=30) as http:
        yield PosClient(core, http)
