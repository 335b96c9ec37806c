"""The hub for tests: a real ``python -m app hub`` process (``HubProcess``), the hub
server on the test's own loop (``InProcessHub``) and a CLI runner."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HubProcess:
    """``python -m app hub`` as a real process on a loopback port."""

    def __init__(self, db_url: str, env: dict[str, str] | None = None, port: int = 0) -> None:
        self.port = port or free_port()  # a port again: the same hub back after a stop
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(
            os.environ,
            JUPEI_HUB__DATABASE_URL=db_url,
            JUPEI_HUB__HOST="127.0.0.1",
            JUPEI_HUB__PORT=str(self.port),
            **(env or {}),
        )
        fd, self.log_path = tempfile.mkstemp(prefix="hub-", suffix=".log")
        with os.fdopen(fd, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app", "hub"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/hub/v1/health", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        self.stop()
        pytest.fail("hub did not become healthy:\n" + self.output())

    def output(self) -> str:
        return Path(self.log_path).read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        with contextlib.suppress(OSError):
            os.unlink(self.log_path)


def run_cli(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


class InProcessHub:
    """A hub server on the test's own loop (port 0), with its repository at hand."""

    def __init__(self, db_url: str, secrets: dict[str, str], public_base_url: str = "") -> None:
        from app.core.clock import SystemClock
        from app.hub.config import HubSettings
        from app.hub.db import make_engine
        from app.hub.notify import Notifier
        from app.hub.relay import Relay
        from app.hub.repo import HubRepo

        self.db_url = db_url
        self.settings = HubSettings(database_url=db_url, long_poll_s=25.0)
        self.engine = make_engine(db_url, pool_size=4)
        self.clock = SystemClock()
        self.relay = Relay(secrets, self.clock, public_base_url)
        self.notifier = Notifier(db_url)
        self.repo = HubRepo(self.engine)
        self.url = ""

    async def __aenter__(self) -> InProcessHub:
        from aiohttp import web

        from app.hub.server import AccessLogger, HubServer

        await self.notifier.start()
        self.server = server = HubServer(
            self.settings, self.engine, self.relay, self.notifier, self.clock
        )
        self.runner = web.AppRunner(  # as ``python -m app hub`` runs it
            server.app(),
            access_log_class=AccessLogger,
            access_log=logging.getLogger("jupei.hub.access"),
        )
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.notifier.release_all()  # as ``python -m app hub`` stops: parked polls answer
        await self.runner.cleanup()
        await self.notifier.stop()
        await self.relay.aclose()
        self.engine.dispose()

    def add_store(self, name: str = "人民路店", group: str = "上海") -> tuple[str, str]:
        return self.repo.add_store(name, group, self.clock.now(), timedelta(hours=24))

    def device(self, store_id: str) -> str:
        """Enrol a device for the store; its token."""
        code = self.repo.new_enrolment(store_id, self.clock.now(), timedelta(hours=1))
        got = self.repo.enrol(code, "test-pc", self.clock.now())
        assert got is not None
        return got.token
