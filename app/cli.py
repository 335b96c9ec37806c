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
    from app.core.backup import hold_running_lock

    hold_running_lock(paths.data_dir())  # `restore` refuses while it is held (our life)

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
        if core.source_sims is not None:
            log.info(
                "rehearsal: %s from the simulators at %s (new order: POST %s/__sources/<source>"
                "/new_order)",
                ", ".join(core.source_sims.sources),
                core.source_sims.control_url,
                core.source_sims.control_url,
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
        from app.core.sandbox.sources.server import SIM_IDS

        carriers = tuple(c for c in args.carriers.split(",") if c) or CARRIER_IDS
        server = SandboxServer(
            SandboxEngine(seed=args.seed, speed=args.speed), port=args.port, carriers=carriers
        )
        sources = _source_sims(args)
        stop = _wait_for_signal()
        await server.start()
        for cid in carriers:
            log.info("%-9s %s", cid, server.carrier_url(cid))
        log.info("control: %s/__sandbox/stats", server.base_url)
        if sources is not None:
            await sources.start()
            for sid in SIM_IDS:
                log.info("source %-8s %s", sid, sources.api_url(sid))
            log.info(
                "sources push to %s and %s; control: %s/__sources/<source>/new_order",
                sources.meituan.push_base_url,
                sources.eleme.push_url,
                sources.base_url,
            )
        await stop.wait()
        if sources is not None:
            await sources.stop()
        await server.stop()

    asyncio.run(main())
    return 0


def _source_sims(args):
    """The 美团外卖 / 饿了么 simulators for ``sandbox`` (None with ``--sources-port -1``);
    they push to ``--push-to`` or the ``[pos]`` listener of the settings."""
    if args.sources_port < 0:
        return None
    from app.core.sandbox.sources.server import SourceSimServer

    push_to = args.push_to
    if not push_to:
        pos = load_settings(args.config).pos
        push_to = f"http://{pos.host}:{pos.port}"
    return SourceSimServer(
        port=args.sources_port, jupei_base_url=push_to, retry_every_s=args.push_retry_s
    )


def run_carrier_check(args) -> int:
    """Print the first-day check's report in the UI language (``--lang`` overrides);
    exit 0 when all matched, 1 when something did not, 2 for an unknown carrier."""
    from app.core.carriers.check import run_check
    from app.core.carriers.registry import CARRIER_IDS
    from app.core.secrets import KeyringSecretStore

    settings = load_settings(args.config)
    lang = args.lang or settings.ui.language
    if args.carrier not in CARRIER_IDS:
        known = ", ".join(CARRIER_IDS)
        print(f"未知配送平台 {args.carrier}（{known}）" if lang == "zh_CN"
              else f"unknown carrier {args.carrier} ({known})")  # fmt: skip
        return 2
    report = asyncio.run(
        run_check(
            args.carrier,
            settings,
            KeyringSecretStore(),
            live=args.live,
            create_test_order=args.create_test_order,
        )
    )
    print(report.render(lang))
    return 0 if report.matched else 1


def run_retention(args) -> int:
    """Run the nightly privacy retention now (app/core/retention.py): safe while JuPei runs
    (short batches). Prints what was masked; exit 0."""
    import sys

    from app.core.clock import SystemClock
    from app.core.retention import RetentionJob
    from app.core.storage.db import make_engine, migrate
    from app.core.storage.upgrade import sqlite_file, upgrade_file

    settings = load_settings(args.config)
    days = args.days if args.days is not None else settings.privacy.retain_days
    if days < 1:
        print("--days must be 1 or more", file=sys.stderr)
        return 2
    url = settings.database_url()
    if (db_file := sqlite_file(url)) is not None:
        upgrade_file(db_file)
    engine = make_engine(url)
    try:
        migrate(engine)
        res = RetentionJob(engine, SystemClock(), lambda: days).run_once()
    finally:
        engine.dispose()
    print(
        f"隐私保留 {days} 天 / privacy retention {days} days: masked {res.orders} orders, "
        f"{res.source_orders} source orders; dropped {res.print_jobs} ticket images"
    )
    return 0


def run_diagnose(args) -> int:
    """Print a short summary, or with ``--zip PATH`` write the diagnostics ZIP for support
    (config without secrets, redacted logs, database check, health, recent errors). A
    broken config does not stop it: the pack is made on the fallback settings and says
    what is wrong. Exit 0, or 1 when the config or the database check found a problem."""
    from app.core.config import load_settings_or_fallback
    from app.core.config_errors import ConfigError
    from app.core.diagnostics import collect, default_zip_name, write_zip
    from app.core.secrets import KeyringSecretStore

    problem = ""
    try:
        settings = load_settings(args.config)
    except ConfigError as e:
        settings = load_settings_or_fallback(args.config)[0]
        problem = e.message("zh_CN") + "\n" + e.message("en")
    diag = collect(
        settings, config_path=args.config, store=KeyringSecretStore(), config_problem=problem
    )
    print(diag.summary())
    if args.zip is not None:
        target = args.zip / default_zip_name() if args.zip.is_dir() else args.zip
        print(f"diagnostics ZIP: {write_zip(diag, target)}")
    db_ok = diag.database.get("ok", True) and "error" not in diag.database
    return 0 if db_ok and not problem else 1


def run_pos_sim(args) -> int:
    from app.core.pos.sim import main as sim_main

    return sim_main(args)


def run_update(args) -> int:
    """``update``: check the signed feed ([updates] url); ``--install --yes`` installs a
    newer version (the --yes is the manager's consent) unless a delivery is live.
    Exit 0: up to date or installed; 1: a newer version waits; 2: refused or failed."""
    from app import __version__
    from app.core.updates import UpdateError, Updater, bundle_dir, live_deliveries

    settings = load_settings(args.config)
    setup_logging(None, "WARNING")
    up = Updater(
        settings.updates,
        current_version=__version__,
        install_dir=bundle_dir(),
        state_dir=paths.data_dir() / "updates",
    )
    try:
        offer = up.check()
        if offer is None:
            print(f"JuPei {__version__}: up to date")
            return 0
        print(f"JuPei {offer.version} available (now {__version__}, {offer.size_bytes} bytes)")
        if not args.install:
            return 1
        live = live_deliveries(settings.database_url())
        version = up.install(consent=args.yes, live_deliveries=live)
    except UpdateError as e:
        print(f"update: {e} [{e.code}]")
        return 2
    if up.deferred:
        print(f"JuPei {version} verified: it is moved into place once JuPei has exited")
    else:
        print(f"JuPei {version} installed: restart the app")
    return 0
