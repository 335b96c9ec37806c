"""Entry point: ``python -m app`` / ``jupei``.

jupei [--config PATH]                 the counter GUI
jupei --screenshot PNG [--demo S]     scripted offscreen demo, then a PNG of the window
jupei --hq [--hub-url URL]            head office: every store's board, reports, export
jupei --smoke                         bundle smoke test: one order through to delivered
jupei serve [--config PATH]           the core headless (no Qt imported); --config also
                                      after any command; a broken config exits 2
jupei sandbox [--carriers ..] [--port N] [--sources-port N]
                                      the six carrier sandboxes and the 美团/饿了么 simulators
jupei pos-sim [--rate R] [--count N]  a sample POS posting signed orders
jupei hub [serve|migrate|store|secret|unmapped]  the chain hub server (app/hub, no Qt)
jupei hub-join --url URL --code CODE  enrol this counter PC with a hub
jupei carrier-check CARRIER [--live] [--create-test-order]
                                      first-day check: safe calls, compared with the adapter
jupei diagnose [--zip PATH]          diagnostics for support: a summary, or one ZIP
                                      (no secrets, no full phone numbers)
jupei backup PATH | restore PATH     online backup of the database / restore (app stopped)
jupei update [--install --yes]        check the signed update feed; install a newer bundle
                                      (--yes: the manager's consent; refused during deliveries)
jupei --version
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app import __version__


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jupei", description="JuPei 聚配 — aggregated delivery desk")
    p.add_argument("--version", action="version", version=f"JuPei {__version__}")
    p.add_argument("--config", type=Path, help="settings TOML (default: platform config dir)")
    p.add_argument("--screenshot", type=Path, help="run a scripted demo offscreen, save a PNG")
    p.add_argument("--demo", type=float, default=8.0, help="demo length in seconds")
    p.add_argument("--smoke", action="store_true", help="self-test: one order to delivered")
    p.add_argument("--lang", choices=["zh_CN", "en"], help="UI language")
    p.add_argument("--hq", action="store_true", help="head office: log in to a hub, read-only")
    p.add_argument("--hub-url", default="", help="with --hq: the hub's https address")
    sub = p.add_subparsers(dest="cmd")
    sub.add_parser("serve", help="run the core headless until SIGINT/SIGTERM")
    sb = sub.add_parser("sandbox", help="serve the carrier sandboxes on loopback")
    sb.add_argument("--carriers", default="", help="comma-separated ids (default: all six)")
    sb.add_argument("--port", type=int, default=8740)
    sb.add_argument("--speed", type=float, default=10.0)
    sb.add_argument("--seed", type=int, default=7)
    sb.add_argument(
        "--sources-port", type=int, default=8741, help="美团/饿了么 simulators (-1: not served)"
    )
    sb.add_argument(
        "--push-to", default="", help="JuPei listener the simulators push to (default: [pos])"
    )
    sb.add_argument(
        "--push-retry-s", type=float, default=30.0, help="re-send unacknowledged pushes (0: off)"
    )
    cc = sub.add_parser("carrier-check", help="check a carrier's answers against the adapter")
    cc.add_argument("carrier", help="carrier id (dada, shansong, sf, meituan, fengniao, uupt)")
    cc.add_argument("--live", action="store_true", help="the real host with your credentials")
    cc.add_argument(
        "--create-test-order",
        action="store_true",
        help="also create, query and cancel one order (test host or sandbox only)",
    )
    ps = sub.add_parser("pos-sim", help="post realistic signed orders like a POS would")
    ps.add_argument("--rate", type=float, default=1.0, help="orders per second")
    ps.add_argument("--count", type=int, default=10)
    ps.add_argument("--url", default="", help="listener base URL (default from config)")
    ps.add_argument("--secret", default="", help="POS secret (default: env/secret store)")
    ps.add_argument("--concurrency", type=int, default=10)
    ps.add_argument("--dup-rate", type=float, default=0.0, help="share of repeated posts")
    ps.add_argument("--dispatch", choices=["auto", "manual"], default=None)
    dg = sub.add_parser("diagnose", help="diagnostics for support: summary, or a ZIP")
    dg.add_argument("--zip", type=Path, default=None, help="write the diagnostics ZIP here")
    up = sub.add_parser("update", help="check the signed update feed ([updates] url)")
    up.add_argument("--install", action="store_true", help="install a newer version")
    up.add_argument("--yes", action="store_true", help="the manager's consent to install")
    rt = sub.add_parser(
        "retention", help="mask customers' data older than [privacy] retain_days now"
    )
    rt.add_argument("--days", type=int, default=None, help="this once instead of retain_days")
    from app.hub.cli import add_parsers

    add_parsers(sub)
    from app import backup_cli

    backup_cli.add_parsers(sub)
    _config_anywhere(sub)
    return p


def _config_anywhere(sub: argparse._SubParsersAction) -> None:
    """``--config PATH`` after the command too (``jupei serve --config PATH``): each
    command takes it; SUPPRESS keeps a ``--config`` given before the command."""
    for cmd in sub.choices.values():
        cmd.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="settings TOML")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from app.core.config_errors import EXIT_CONFIG, ConfigError
    from app.core.upgrade_errors import EXIT_UPGRADE, UpgradeFailed

    try:
        return _run(args)
    except ConfigError as e:  # headless commands: one paragraph per language, no traceback
        print(str(e), file=sys.stderr)
        return EXIT_CONFIG
    except UpgradeFailed as e:  # an older release's database: untouched, and said so
        print(str(e), file=sys.stderr)
        return EXIT_UPGRADE


def _run(args: argparse.Namespace) -> int:
    if args.cmd == "serve":
        from app.cli import run_serve

        return run_serve(args)
    if args.cmd == "sandbox":
        from app.cli import run_sandbox

        return run_sandbox(args)
    if args.cmd == "carrier-check":
        from app.cli import run_carrier_check

        return run_carrier_check(args)
    if args.cmd == "retention":
        from app.cli import run_retention

        return run_retention(args)
    if args.cmd == "diagnose":
        from app.cli import run_diagnose

        return run_diagnose(args)
    if args.cmd == "pos-sim":
        from app.cli import run_pos_sim

        return run_pos_sim(args)
    if args.cmd in ("backup", "restore"):
        from app import backup_cli

        return backup_cli.run(args)
    if args.cmd == "update":
        from app.cli import run_update

        return run_update(args)
    if args.cmd in ("hub", "hub-join"):
        from app.hub.cli import run_hub, run_join

        return run_hub(args) if args.cmd == "hub" else run_join(args)
    if args.hq:
        from app.ui.hq.run import run_hq

        return run_hq(args)
    from app.ui.app import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
