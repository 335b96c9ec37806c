"""``python -m app --hq``: QApplication, translations, the qasync loop, the login dialog
(hub address remembered in ``ui.ini``), then the head-office window. No core is built
and no SQLite file is opened: everything is read from the hub."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def _settings() -> Any:
    from PySide6.QtCore import QSettings

    from app.core import paths

    return QSettings(str(paths.config_dir() / "ui.ini"), QSettings.Format.IniFormat)


def run_hq(args: Any) -> int:
    import asyncio

    import qasync

    from app.core import paths
    from app.core.logs import setup_logging
    from app.hub.hq_client import HqClient
    from app.ui.app import _make_app
    from app.ui.hq.window import HqLoginDialog, HqWindow

    app = _make_app(args, getattr(args, "lang", None) or "zh_CN")
    setup_logging(paths.log_dir(), "INFO")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    prefs = _settings()
    url = getattr(args, "hub_url", None) or str(prefs.value("hq/url", "") or "")

    async def main() -> int:
        login = HqLoginDialog(lambda u: HqClient(u), url)
        done = loop.create_future()
        login.finished.connect(lambda *_: done.done() or done.set_result(None))
        login.show()
        await done
        client = login.client
        if client is None:
            return 1
        prefs.setValue("hq/url", client.url)
        prefs.sync()
        window = HqWindow(client)
        closed = loop.create_future()
        app.lastWindowClosed.connect(lambda: closed.done() or closed.set_result(0))
        window.show()
        await window.refresh()
        try:
            result: int = await closed
        finally:
            client.close()
        return result

    try:
        return int(loop.run_until_complete(main()))
    finally:
        loop.close()
