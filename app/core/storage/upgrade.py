"""Upgrading a database made by an older release, safely.

A SQLite file behind the head revision is never migrated in place: it is copied with
SQLite's online backup API beside itself (``<name>.upgrading``), the copy is migrated and
checked with ``PRAGMA integrity_check``, and only then swapped over the old file with one
atomic rename. A migration that fails leaves the old file exactly as it was (the copy is
deleted) and ``UpgradeFailed`` says so, naming the file and its revision: the previous
release still opens it.

The tests keep one fixture database per release (``tests/data/upgrade/``) and migrate
each forward with every row checked (``tests/core/upgrade``)."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from app.core.storage.db import MIGRATIONS, make_engine
from app.core.upgrade_errors import UpgradeFailed

__all__ = ["UpgradeFailed", "file_revision", "head_revision", "sqlite_file", "upgrade_file"]

log = logging.getLogger(__name__)

SUFFIX = ".upgrading"


def _config(migrations: Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    return cfg


def head_revision(migrations: Path = MIGRATIONS) -> str:
    head = ScriptDirectory.from_config(_config(migrations)).get_current_head()
    assert head is not None, "no migrations"
    return head


def file_revision(path: Path) -> str | None:
    """The Alembic revision stamped in a SQLite file (None: not stamped, i.e. empty)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        found = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if found is None:
            return None
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        return None if row is None else str(row[0])
    finally:
        con.close()


def sqlite_file(url: str) -> Path | None:
    """The file behind a ``sqlite:///PATH`` URL (None: another backend or in memory)."""
    for prefix in ("sqlite+pysqlite:///", "sqlite:///"):
        if url.startswith(prefix):
            rest = url[len(prefix) :].split("?", 1)[0]
            return None if rest in ("", ":memory:") else Path(rest)
    return None


def _drop(path: Path) -> None:
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def upgrade_file(path: Path, migrations: Path = MIGRATIONS) -> str | None:
    """Bring the SQLite file at ``path`` to head by migrating a copy and swapping it in.
    Returns the revision it had (None: nothing to do: missing, empty or at head)."""
    path = Path(path)
    if not path.exists():
        return None
    old = file_revision(path)
    head = head_revision(migrations)
    if old is None or old == head:
        return None
    work = Path(f"{path}{SUFFIX}")
    _drop(work)  # a copy left by a power cut during an earlier try
    log.info("upgrading the database %s from revision %s to %s (on a copy)", path, old, head)
    try:
        src = sqlite3.connect(path)
        try:
            dst = sqlite3.connect(work)
            try:
                src.backup(dst)  # the committed state, WAL included
            finally:
                dst.close()
        finally:
            src.close()
        engine = make_engine(f"sqlite:///{work}")
        try:
            cfg = _config(migrations)
            cfg.attributes["engine"] = engine
            logging.getLogger("alembic").setLevel(logging.WARNING)
            command.upgrade(cfg, "head")
            with engine.connect() as c:
                check = c.exec_driver_sql("PRAGMA integrity_check").scalar()
            if check != "ok":
                raise RuntimeError(f"integrity_check after the upgrade: {check}")
        finally:
            engine.dispose()
        con = sqlite3.connect(work)  # one file to rename: no WAL beside the copy
        try:
            con.execute("PRAGMA journal_mode=DELETE")
        finally:
            con.close()
        wal = Path(f"{path}-wal")
        if wal.exists() and wal.stat().st_size > 0:  # another process still has it open
            raise RuntimeError(f"{wal} is in use: close every other JuPei first")
    except Exception as exc:
        _drop(work)
        msg = (
            f"数据库升级失败，原文件未改动。The database {path} could not be upgraded from "
            f"revision {old} to {head} and was left untouched (the previous version still "
            f"opens it): {type(exc).__name__}: {exc}"
        )
        log.error("%s", msg)
        raise UpgradeFailed(msg) from exc
    # the old file's WAL was checkpointed by the backup's close (empty now); its index
    # must not be taken for the new file's
    for side in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError):
            side.unlink()
    os.replace(work, path)
    log.info("database %s upgraded from revision %s to %s", path, old, head)
    return old
