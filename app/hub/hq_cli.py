"""``python -m app hub user …``: head-office logins on the hub (no Qt).

jupei hub user add --name N [--password-stdin]   prints a generated one-time password
                                                 (shown once) unless one is read from stdin
jupei hub user passwd --name N [--password-stdin]   a new password; live logins end
jupei hub user disable --name N                  no more logins; live logins end
jupei hub user list
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

MIN_PASSWORD = 10


def add_user_parsers(hs: Any) -> None:
    user = hs.add_parser("user", help="head-office users (python -m app --hq)")
    us = user.add_subparsers(dest="user_cmd")
    for cmd, text in (("add", "add a head-office user"), ("passwd", "set a new password")):
        p = us.add_parser(cmd, help=text)
        p.add_argument("--name", required=True)
        p.add_argument(
            "--password-stdin",
            action="store_true",
            help=f"read the password from stdin (at least {MIN_PASSWORD} characters) "
            "instead of generating one",
        )
    dis = us.add_parser("disable", help="no more logins for the user")
    dis.add_argument("--name", required=True)
    us.add_parser("list", help="head-office users")


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _password(args: argparse.Namespace) -> str | None:
    from app.hub.hq_repo import new_password

    if not args.password_stdin:
        return new_password()
    value = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline()
    value = value.rstrip("\r\n")
    if len(value) < MIN_PASSWORD:
        sys.stderr.write(f"jupei hub: the password needs at least {MIN_PASSWORD} characters\n")
        return None
    return value


def run_user(args: argparse.Namespace, engine: Any) -> int:
    from app.core.clock import SystemClock
    from app.hub.cli import _actor
    from app.hub.hq_repo import HqRepo, UserExists

    repo, now, actor = HqRepo(engine), SystemClock().now(), _actor()
    cmd = args.user_cmd
    if cmd == "list":
        for name, active in repo.list_users():
            _out(f"{name}  {'active' if active else 'disabled'}")
        return 0
    if cmd == "disable":
        if not repo.disable_user(args.name, now, actor):
            sys.stderr.write(f"jupei hub: no head-office user {args.name!r}\n")
            return 1
        _out(f"{args.name} disabled; their logins ended")
        return 0
    if cmd not in ("add", "passwd"):
        sys.stderr.write("jupei hub user add|passwd|disable|list\n")
        return 2
    password = _password(args)
    if password is None:
        return 1
    if cmd == "add":
        try:
            repo.add_user(args.name, password, now, actor)
        except UserExists:
            sys.stderr.write(f"jupei hub: head-office user {args.name!r} exists\n")
            return 1
    elif not repo.set_password(args.name, password, now, actor):
        sys.stderr.write(f"jupei hub: no head-office user {args.name!r}\n")
        return 1
    _out(f"head-office user {args.name} {'added' if cmd == 'add' else 'updated'}")
    if not args.password_stdin:  # generated: shown this once, never stored in clear
        _out(f"one-time password: {password}  (shown once; change it with hub user passwd)")
    return 0
