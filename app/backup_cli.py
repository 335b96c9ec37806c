"""``jupei backup PATH`` and ``jupei restore PATH`` (issue 19, item 3). No Qt here.

``backup`` works while JuPei runs (SQLite's online backup API); ``restore`` refuses
while JuPei runs on this data dir, checks the backup, migrates it and keeps the replaced
database aside. Secrets are not in a backup: README, "Moving to a new PC"."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from app.core import paths
from app.core.backup import BackupError, backup_to, migrate_file, restore_from, sqlite_path
from app.core.config import load_settings


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    b = sub.add_parser("backup", help="an online backup of the database to PATH (file or folder)")
    b.add_argument("path", type=Path)
    r = sub.add_parser("restore", help="replace the database with a backup (JuPei stopped)")
    r.add_argument("path", type=Path)


def _progress(done: int, total: int) -> None:
    if total:
        print(f"\r{100 * done // total:3d}%", end="", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(getattr(args, "config", None))
    try:
        db = sqlite_path(settings.database_url())
        if args.cmd == "backup":
            made = backup_to(db, args.path, _progress)
            print(f"\nbackup written: {made}")
            print("secrets (carrier keys, POS secret) are not in it: see README, Operations")
        else:
            done = restore_from(
                args.path,
                db,
                paths.data_dir(),
                migrate=migrate_file,
                now=datetime.now(UTC),
                progress=_progress,
            )
            print(f"\nrestored {done.database} from {args.path}")
            if done.kept_aside is not None:
                print(f"the replaced database is kept as {done.kept_aside}")
    except BackupError as e:
        print(f"\n{args.cmd} failed: {e}", file=sys.stderr)
        return 2
    return 0
