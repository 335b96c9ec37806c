"""Headless commands: ``serve``, ``sandbox`` and ``pos-sim``. Nothing here imports Qt."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from app.core import paths
from app.core.config import load_settings
from app.core.logs import setup_logging

log = logging.getLogger("jupei")


def _wait_for_signal() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C raises instead
            loop.add_signal_handler(sig, stop.set)
    return stop


def run_serve(args) -> int:
    settings = load_settings(args.config)
    setup_logging(paths.log_dir(), settings.log_level)

    async def main() -> None:
        from app.bootstrap import build_core

        core = build_core(settings, config_path=args.config)
        stop = _wait_for_signal()
        await core.start()
        svc = core.service
        pos = settings.pos
        log.info("serving: POS API on http://%s:%s/api/v1", pos.host, pos.port)
        if core.sandbox is not None:
            log.info(
                "rehearsal mode (演练模式): carriers are the local sandboxes at %s",
                core.sandbox.base_url,
            )
        if svc.secret_problem:
            log.warning("secrets: %s", svc.secret_problem)
        await stop.wait()
        log.info("shutting down")
        await asyncio.wait_for(core.stop(), timeout=4.5)

    asyncio.run(main())
    return 0


def run_sandbox(args) -> int:
    setup_logging(None, "INFO")

    async def main() -> None:
        from app.core.carriers.registry import CARRIER_IDS
        from app.core.sandbox.engine import SandboxEngine
        from app.core.sandbox.server import SandboxServer

        carriers = tuple(c for c in args.carriers.split(",") if c) or CARRIER_IDS
        server = SandboxServer(
            SandboxEngine(seed=args.seed, speed=args.speed), port=args.port, carriers=carriers
        )
        stop = _wait_for_signal()
        await server.start()
        for cid in carriers:
            log.info("%-9s %s", cid, server.carrier_url(cid))
        log.info("control: %s/__sandbox/stats", server.base_url)
        await stop.wait()
        await server.stop()

    asyncio.run(main())
    return 0


def run_pos_sim(args) -> int:
    from app.core.pos.sim import main as sim_main

    return sim_main(args)
