"""``python -m app hub …`` (the chain server and its admin commands) and
``python -m app hub-join`` (the counter PC's enrolment). Nothing here imports Qt.

    jupei hub [serve] [--no-migrate]           run the hub (migrates first, under a lock)
    jupei hub migrate                          bring the hub schema to head
    jupei hub store add --name N [--group G]   new store: prints its id and a one-time code
    jupei hub store list
    jupei hub store enrol --store ID           a fresh one-time code for the store
    jupei hub store revoke --store ID          cut the store's devices off
    jupei hub store map --store ID --source S --ref R   platform store ref → store
    jupei hub unmapped                         the "needs mapping" queue
    jupei hub secret set SOURCE                the brand's app secret (keyring), from stdin
    jupei hub user add --name N [--password-stdin]   a head-office login (app/hub/hq_cli.py)
    jupei hub settings set --brand|--group G|--store ID --file F.toml   a head-office layer
    jupei hub settings show [--brand|--group G|--store ID]  a layer; --store: its effective doc
    jupei hub audit [--store ID] [--limit N]   settings changes, enrolments, revocations, maps
    jupei hub-join --url URL --code CODE       on the counter PC: enrol, keep the token
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import signal
import sys
from datetime import timedelta
from typing import Any

log = logging.getLogger("jupei.hub")


def add_parsers(sub: Any) -> None:
    hub = sub.add_parser("hub", help="JuPei Hub: the chain server on PostgreSQL (headless)")
    hs = hub.add_subparsers(dest="hub_cmd")
    serve = hs.add_parser("serve", help="run the hub (the default)")
    for p in (hub, serve):
        p.add_argument("--no-migrate", action="store_true", help="do not migrate at start")
    hs.add_parser("migrate", help="bring the hub database schema to head")
    store = hs.add_parser("store", help="stores of the chain").add_subparsers(dest="store_cmd")
    add = store.add_parser("add", help="add a store; prints its id and a one-time code")
    add.add_argument("--name", required=True)
    add.add_argument("--group", default="", help="e.g. a city or franchisee")
    add.add_argument("--json", action="store_true")
    store.add_parser("list", help="stores, live devices and mapped refs")
    enrol = store.add_parser("enrol", help="a fresh one-time enrolment code")
    enrol.add_argument("--store", required=True)
    enrol.add_argument("--json", action="store_true")
    revoke = store.add_parser("revoke", help="cut every device of the store off")
    revoke.add_argument("--store", required=True)
    smap = store.add_parser("map", help="map a platform store ref to a store")
    smap.add_argument("--store", required=True)
    smap.add_argument("--source", required=True, help="meituan, eleme")
    smap.add_argument("--ref", required=True, help="美团 app_poi_code, 饿了么 shopId")
    hs.add_parser("unmapped", help="platform store refs waiting for a mapping")
    from app.hub.hq_cli import add_user_parsers

    add_user_parsers(hs)
    secret = hs.add_parser("secret", help="platform app secrets (keyring)")
    ss = secret.add_subparsers(dest="secret_cmd")
    sset = ss.add_parser("set", help="read the secret from stdin (no echo on a terminal)")
    sset.add_argument("source")

    hset = hs.add_parser("settings", help="head-office settings (brand, group, store)")
    hss = hset.add_subparsers(dest="settings_cmd")
    for name, text in (("set", "replace one layer from a TOML file"), ("show", "show a layer")):
        p = hss.add_parser(name, help=text)
        which = p.add_mutually_exclusive_group(required=name == "set")
        which.add_argument("--brand", action="store_true")
        which.add_argument("--group")
        which.add_argument("--store")
        if name == "set":
            p.add_argument("--file", required=True, help="TOML: [dispatch] [carriers.*] …")
    aud = hs.add_parser("audit", help="the hub's audit log, newest first")
    aud.add_argument("--store")
    aud.add_argument("--limit", type=int, default=50)

    join = sub.add_parser("hub-join", help="enrol this counter PC with a hub")
    join.add_argument("--url", required=True, help="the hub's https address")
    join.add_argument("--code", required=True, help="the one-time enrolment code")
    join.add_argument("--name", default="", help="this PC's name (default: host name)")
    join.add_argument(
        "--print-token",
        action="store_true",
        help="print the token instead of keeping it in the keyring (headless: put it in "
        "JUPEI_HUB__DEVICE_TOKEN)",
    )


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def run_hub(args: argparse.Namespace) -> int:
    from app.core.logs import setup_logging
    from app.hub.config import HubConfigError, HubSettings

    settings = HubSettings()
    setup_logging(None, settings.log_level)
    try:
        url = settings.checked_database_url()
    except HubConfigError as e:
        sys.stderr.write(f"jupei hub: {e}\n")
        return 2
    cmd = args.hub_cmd or "serve"
    if cmd == "serve":
        return asyncio.run(_serve(settings, url, migrate_first=not args.no_migrate))
    if cmd == "secret":
        return _secret(args)
    from app.hub.db import make_engine, migrate

    engine = make_engine(url, pool_size=2)
    try:
        if cmd == "migrate":
            migrate(engine)
            _out("hub schema at head")
            return 0
        if cmd == "store":
            return _store(args, settings, engine)
        if cmd == "unmapped":
            return _unmapped(engine)
        if cmd == "user":
            from app.hub.hq_cli import run_user

            return run_user(args, engine)
        if cmd == "settings":
            return _settings(args, engine)
        if cmd == "audit":
            return _audit(args, engine)
    finally:
        engine.dispose()
    return 2


def _store(args: argparse.Namespace, settings: Any, engine: Any) -> int:
    from app.core.clock import SystemClock
    from app.hub.repo import HubRepo, StoreNotFound

    repo, now = HubRepo(engine), SystemClock().now()
    ttl = timedelta(hours=settings.enrol_code_hours)
    try:
        if args.store_cmd == "add":
            store_id, code = repo.add_store(args.name, args.group, now, ttl, _actor())
            return _code_out(args, store_id, code, now + ttl)
        if args.store_cmd == "enrol":
            return _code_out(
                args, args.store, repo.new_enrolment(args.store, now, ttl, _actor()), now + ttl
            )
        if args.store_cmd == "list":
            for s in repo.list_stores():
                refs = ", ".join(s.refs) or "-"
                _out(f"{s.id}  {s.group or '-'}  {s.name}  devices={s.devices}  refs={refs}")
            return 0
        if args.store_cmd == "revoke":
            n = repo.revoke_store(args.store, now, _actor())
            _out(f"store {args.store}: {n} device(s) revoked; unused codes voided")
            return 0
        if args.store_cmd == "map":
            n = repo.map_ref(args.store, args.source, args.ref, now, _actor())
            _out(f"{args.source} {args.ref} -> store {args.store}; {n} queued push(es) handed over")
            return 0
    except StoreNotFound as e:
        sys.stderr.write(f"jupei hub: no store {e}\n")
        return 1
    except ValueError as e:
        sys.stderr.write(f"jupei hub: {e}\n")
        return 1
    sys.stderr.write("jupei hub store: add | list | enrol | revoke | map\n")
    return 2


def _code_out(args: argparse.Namespace, store_id: str, code: str, until: Any) -> int:
    if getattr(args, "json", False):
        _out(json.dumps({"store_id": store_id, "code": code, "expires_at": until.isoformat()}))
    else:
        _out(f"store id: {store_id}")
        _out(f"enrolment code: {code}  (one use, valid until {until:%Y-%m-%d %H:%M} UTC)")
    return 0


def _actor() -> str:
    """Who ran the admin command (the OS user), for the audit log."""
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def _settings(args: argparse.Namespace, engine: Any) -> int:
    import tomllib

    from app.core.clock import SystemClock
    from app.core.headoffice import HeadOfficeRejected
    from app.hub.hq import HqRepo

    repo = HqRepo(engine)
    scope, target = (
        ("store", args.store)
        if args.store
        else ("group", args.group)
        if args.group
        else ("brand", "")
    )
    if args.settings_cmd == "set":
        try:
            with open(args.file, "rb") as f:
                doc = tomllib.load(f)
            version = repo.set_layer(scope, target, doc, _actor(), SystemClock().now())
        except (OSError, tomllib.TOMLDecodeError, HeadOfficeRejected, LookupError) as e:
            sys.stderr.write(f"jupei hub settings: {e}\n")
            return 1
        _out(f"{scope} {target or ''} settings set: version {version}".replace("  ", " "))
        return 0
    if args.settings_cmd == "show":
        if scope == "store":
            try:
                eff = repo.effective(target)
            except LookupError as e:
                sys.stderr.write(f"jupei hub settings: {e}\n")
                return 1
            _out(
                json.dumps(
                    {"version": eff.version, "settings": eff.settings}, ensure_ascii=False, indent=1
                )
            )
            return 0
        layers = repo.layers(scope, target)
        if not layers:
            _out(f"no {scope} settings {target}".rstrip())
            return 0
        top = layers[0]
        _out(
            json.dumps(
                {
                    "version": top.version,
                    "actor": top.actor,
                    "at": top.created_at.isoformat(),
                    "settings": top.data,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return 0
    sys.stderr.write("jupei hub settings: set | show\n")
    return 2


def _audit(args: argparse.Namespace, engine: Any) -> int:
    from app.hub.hq import HqRepo

    rows = HqRepo(engine).audit_entries(args.limit, args.store)
    for r in rows:
        detail = json.dumps(r.detail, ensure_ascii=False, separators=(",", ":"))
        _out(f"{r.at:%Y-%m-%d %H:%M:%S}  {r.actor}  {r.action}  {r.store_id or '-'}  {detail}")
    if not rows:
        _out("audit log empty")
    return 0


def _unmapped(engine: Any) -> int:
    from app.hub.repo import HubRepo

    rows = HubRepo(engine).list_unmapped()
    for r in rows:
        ref = r.ref or "(no store ref: waits for its order's own push)"
        _out(f"{r.source}  {ref}  pushes={r.pushes}  last={r.last_seen_at:%Y-%m-%d %H:%M}")
    if not rows:
        _out("no unmapped store refs")
    return 0


def _secret(args: argparse.Namespace) -> int:
    from app.core.secrets import KeyringSecretStore, SecretStoreUnavailable
    from app.core.sources.registry import SOURCE_IDS
    from app.hub.relay import secret_name

    if args.secret_cmd != "set" or args.source not in SOURCE_IDS:
        sys.stderr.write(f"jupei hub secret set SOURCE  (SOURCE: {', '.join(SOURCE_IDS)})\n")
        return 2
    value = getpass.getpass("app secret: ") if sys.stdin.isatty() else sys.stdin.readline()
    value = value.strip()
    if not value:
        sys.stderr.write("jupei hub: empty secret, nothing stored\n")
        return 1
    try:
        KeyringSecretStore().set(secret_name(args.source), value)
    except SecretStoreUnavailable as e:
        env = "JUPEI_HUB__SOURCES__" + args.source.upper() + "__APP_SECRET"
        sys.stderr.write(f"jupei hub: {e}\nOn a headless server set {env} instead.\n")
        return 1
    _out(f"{args.source} app secret stored in the keyring; restart the hub processes")
    return 0


async def _serve(settings: Any, url: str, *, migrate_first: bool) -> int:
    from aiohttp import web
    from sqlalchemy.exc import OperationalError

    from app.core.clock import SystemClock
    from app.core.secrets import KeyringSecretStore
    from app.hub.db import make_engine, migrate
    from app.hub.notify import Notifier
    from app.hub.relay import Relay, load_secrets
    from app.hub.server import AccessLogger, HubServer

    engine = make_engine(url)
    if migrate_first:
        try:
            await asyncio.to_thread(migrate, engine)
        except OperationalError as e:
            sys.stderr.write(f"jupei hub: database not reachable: {str(e).splitlines()[0]}\n")
            engine.dispose()
            return 1
    clock = SystemClock()
    relay = Relay(load_secrets(KeyringSecretStore()), clock, settings.public_base_url)
    notifier = Notifier(url)
    await notifier.start()
    runner = web.AppRunner(
        HubServer(settings, engine, relay, notifier, clock).app(),
        access_log_class=AccessLogger,
        access_log=logging.getLogger("jupei.hub.access"),
        shutdown_timeout=5.0,
    )
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    addrs = ", ".join(f"http://{a[0]}:{a[1]}" for a in runner.addresses)
    log.info(
        "JuPei hub listening on %s (relaying: %s)", addrs, ", ".join(relay.sources()) or "none"
    )
    await stop.wait()
    log.info("hub shutting down")
    notifier.release_all()  # parked long-polls answer now; counters simply poll again
    await runner.cleanup()
    await notifier.stop()
    await relay.aclose()
    engine.dispose()
    return 0


def run_join(args: argparse.Namespace) -> int:
    from app.core.config import load_settings, save_settings
    from app.core.logs import setup_logging
    from app.core.secrets import KeyringSecretStore, SecretStoreUnavailable
    from app.hub.client import DEVICE_TOKEN_SECRET, HubError, join

    setup_logging(None, "WARNING")
    store = KeyringSecretStore()
    if not args.print_token:
        problem = store.backend_problem()
        if problem:
            sys.stderr.write(
                f"jupei hub-join: {problem}.\nRerun with --print-token and put the token in "
                "JUPEI_HUB__DEVICE_TOKEN.\n"
            )
            return 1
    try:
        joined = asyncio.run(join(args.url, args.code, args.name or _host()))
    except HubError as e:
        sys.stderr.write(f"jupei hub-join: {e}\n")
        return 1
    if args.print_token:
        _out(f"JUPEI_HUB__DEVICE_TOKEN={joined.token}")
    else:
        try:
            store.set(DEVICE_TOKEN_SECRET, joined.token)
        except SecretStoreUnavailable as e:
            sys.stderr.write(f"jupei hub-join: {e}\n")
            return 1
    settings = load_settings(args.config)
    settings.hub.url = args.url.rstrip("/")
    settings.hub.store_id = joined.store_id
    path = save_settings(settings, args.config)
    _out(f"joined store {joined.store_name} ({joined.store_id}) as device {joined.device_id}")
    _out(f"hub address saved in {path}")
    return 0


def _host() -> str:
    import socket

    return socket.gethostname()
