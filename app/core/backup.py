"""Backups and restore of the SQLite database (issue 19, item 3).

* ``backup_to``: an online copy with SQLite's backup API (``sqlite3.Connection.backup``)
  — safe while the app writes (WAL), never a file copy. It is written beside the target
  and renamed into place, then checked with ``PRAGMA integrity_check``.
* ``daily_backup`` + ``rotate``: once a day into ``<data dir>/backups`` as
  ``jupei-YYYYMMDD-HHMMSS.db``; kept: the newest of each of the last 7 days that have one
  and the newest of each of the 4 ISO weeks before those.
* ``BackupScheduler``: the core runs ``daily_backup`` off the event loop (a worker
  thread) at start and then every hour (a no-op when today's backup exists).
* ``restore_from``: refused while JuPei runs on this data dir (its OS file locks), the
  backup checked first; copied in, migrated to head and checked again; the replaced
  database is kept aside as ``jupei.db.before-restore-<time>``.

Secrets (keyring) are never in the database, so never in a backup; see the README.
PostgreSQL databases are backed up with the server's own tools (``pg_dump``): refused here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

log = logging.getLogger(__name__)

PREFIX = "jupei-"
SUFFIX = ".db"
STAMP = "%Y%m%d-%H%M%S"
# the OS file locks a running JuPei holds on its data dir: the GUI's and ``serve``'s
RUNNING_LOCKS = ("gui.lock", "serve.lock")
PENDING = ".restore-pending"  # a restore the manager menu prepared, done at next start
PAGES_PER_STEP = 1024  # backup API step: progress is reported between steps

Progress = Callable[[int, int], None]  # (pages done, pages total)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why (for the user)."""


def sqlite_path(url: str) -> Path:
    """The database file of a ``sqlite:///`` URL; BackupError for anything else."""
    for prefix in ("sqlite+pysqlite:///", "sqlite:///"):
        if url.startswith(prefix):
            rest = url[len(prefix) :].split("?", 1)[0]
            if rest and rest != ":memory:":
                return Path(rest)
    raise BackupError(
        "only a SQLite database file can be backed up here; back up PostgreSQL with pg_dump"
    )


def _connect_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)


def check_database(path: Path) -> None:
    """A usable JuPei database: SQLite, ``PRAGMA integrity_check`` ok, has the orders."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        with contextlib.closing(_connect_ro(path)) as c:
            rows = [r[0] for r in c.execute("PRAGMA integrity_check").fetchall()]
            tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{path}: not a readable SQLite database ({e})") from e
    if rows != ["ok"]:
        raise BackupError(f"{path}: integrity check failed: {'; '.join(map(str, rows[:3]))}")
    if "orders" not in tables or "alembic_version" not in tables:
        raise BackupError(f"{path}: not a JuPei database (no orders table)")


def _copy(src: sqlite3.Connection, dest: Path, progress: Progress | None) -> None:
    tmp = dest.with_name(dest.name + ".part")
    tmp.unlink(missing_ok=True)
    try:
        with contextlib.closing(sqlite3.connect(tmp)) as out:

            def step(_status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress(total - remaining, total)

            # one step (one read transaction: WAL writers go on) unless progress is
            # wanted; steps without a pause, so a write between steps (which restarts
            # the copy) has little chance on a counter's load
            pages = PAGES_PER_STEP if progress is not None else -1
            src.backup(out, pages=pages, progress=step, sleep=0)
            out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def backup_to(db: Path, dest: Path, progress: Progress | None = None) -> Path:
    """An online backup of ``db`` into ``dest`` (a file, or a folder: a dated name)."""
    if not db.is_file():
        raise BackupError(f"{db}: no database to back up")
    if dest.is_dir():
        dest = dest / backup_name(datetime.now(UTC))
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.resolve() == db.resolve():
        raise BackupError("the backup cannot replace the database itself")
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as src:
        _copy(src, dest, progress)
    check_database(dest)
    log.info("backup written: %s", dest)
    return dest


def backup_name(now: datetime) -> str:
    return f"{PREFIX}{now.astimezone(UTC).strftime(STAMP)}{SUFFIX}"


def backup_time(path: Path) -> datetime | None:
    """When a backup named by ``backup_name`` was made (UTC); None for other files."""
    name = path.name
    if not (name.startswith(PREFIX) and name.endswith(SUFFIX)):
        return None
    try:
        return datetime.strptime(name[len(PREFIX) : -len(SUFFIX)], STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def list_backups(folder: Path) -> list[tuple[datetime, Path]]:
    """The dated backups in ``folder``, newest first."""
    if not folder.is_dir():
        return []
    found = [(t, p) for p in folder.iterdir() if (t := backup_time(p)) is not None]
    return sorted(found, reverse=True)


def to_keep(backups: Iterable[tuple[datetime, Path]], daily: int, weekly: int) -> set[Path]:
    """The newest backup of each of the last ``daily`` days that have one, and the newest
    of each of the ``weekly`` ISO weeks before the oldest of those days."""
    newest = sorted(backups, reverse=True)
    keep: set[Path] = set()
    days: list[date] = []
    weeks: list[tuple[int, int]] = []
    for t, p in newest:
        d = t.date()
        if d in days:
            continue
        if len(days) < daily:
            days.append(d)
            keep.add(p)
            continue
        iso = d.isocalendar()
        week = (iso[0], iso[1])
        daily_weeks = {(x.isocalendar()[0], x.isocalendar()[1]) for x in days}
        if week in daily_weeks or week in weeks or len(weeks) >= weekly:
            continue
        weeks.append(week)
        keep.add(p)
    return keep


def rotate(folder: Path, daily: int = 7, weekly: int = 4) -> list[Path]:
    """Delete the dated backups ``to_keep`` does not keep; returns the deleted ones."""
    backups = list_backups(folder)
    keep = to_keep(backups, daily, weekly)
    gone = [p for _t, p in backups if p not in keep]
    for p in gone:
        p.unlink(missing_ok=True)
    return gone


def daily_backup(
    db: Path, folder: Path, now: datetime, *, daily: int = 7, weekly: int = 4
) -> Path | None:
    """Today's (UTC) backup unless one exists, then rotation; the new file or None."""
    made = None
    if not any(t.date() == now.astimezone(UTC).date() for t, _p in list_backups(folder)):
        folder.mkdir(parents=True, exist_ok=True)
        made = backup_to(db, folder / backup_name(now))
    rotate(folder, daily, weekly)
    return made


def running_lock_held(data_dir: Path) -> str | None:
    """The name of a JuPei lock another process holds on ``data_dir``, or None."""
    for name in RUNNING_LOCKS:
        path = data_dir / name
        if path.exists() and not _try_lock(path):
            return name
    return None


def hold_running_lock(data_dir: Path, name: str = "serve.lock") -> int | None:
    """Take one of ``RUNNING_LOCKS`` for this process's life (``serve``): a restore is
    refused while it is held. The descriptor, or None when another process holds it."""
    fd = os.open(data_dir / name, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if sys.platform == "win32":  # pragma: no cover - Windows
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _try_lock(path: Path) -> bool:
    """Whether the lock at ``path`` is free (taken and given back at once)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if sys.platform == "win32":  # pragma: no cover - Windows
            import msvcrt

            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            except OSError:
                return False
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
            return True
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True
    finally:
        os.close(fd)  # releases the flock


@dataclass(frozen=True)
class Restored:
    database: Path
    kept_aside: Path | None  # the database it replaced


def restore_from(
    backup: Path,
    db: Path,
    data_dir: Path | None,
    *,
    migrate: Callable[[Path], None],
    now: datetime,
    progress: Progress | None = None,
) -> Restored:
    """Replace ``db`` with ``backup``: refused while JuPei runs, the backup checked, then
    copied beside the database, migrated (``migrate`` brings a file to head) and
    checked again before it replaces the database; the old one is kept aside.
    ``data_dir`` None: no lock check (``apply_pending_restore``, at this process's start)."""
    held = running_lock_held(data_dir) if data_dir is not None else None
    if held is not None:
        raise BackupError(f"JuPei is running on {data_dir} ({held}); quit it, then restore")
    check_database(backup)
    db.parent.mkdir(parents=True, exist_ok=True)
    incoming = db.with_name(db.name + ".restoring")
    try:
        with contextlib.closing(_connect_ro(backup)) as src:
            _copy(src, incoming, progress)
        try:
            migrate(incoming)
        except Exception as e:
            raise BackupError(f"{backup}: could not be brought up to date ({e})") from e
        check_database(incoming)
        aside = None
        if db.exists():
            aside = db.with_name(f"{db.name}.before-restore-{now.astimezone(UTC):{STAMP}}")
            os.replace(db, aside)
        for extra in ("-wal", "-shm"):  # the replaced database's WAL belongs to it
            side = db.with_name(db.name + extra)
            if side.exists():
                if aside is not None:
                    os.replace(side, aside.with_name(aside.name + extra))
                else:
                    side.unlink()
        os.replace(incoming, db)
    finally:
        incoming.unlink(missing_ok=True)
        for extra in ("-wal", "-shm", "-journal"):
            incoming.with_name(incoming.name + extra).unlink(missing_ok=True)
    log.info("restored %s from %s (the old one kept as %s)", db, backup, aside)
    return Restored(db, aside)


def migrate_file(db: Path) -> None:
    """Bring a SQLite database file to this release's schema."""
    from app.core.storage.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{db}")
    try:
        migrate(engine)
    finally:
        engine.dispose()


def pending_path(db: Path) -> Path:
    return db.with_name(db.name + PENDING)


def request_restore(backup: Path, db: Path, progress: Progress | None = None) -> Path:
    """The manager menu's restore (the app runs, so it cannot replace its own database):
    the backup is checked and copied beside the database; ``apply_pending_restore``
    restores it at the next start, before the database opens."""
    check_database(backup)
    pending = pending_path(db)
    with contextlib.closing(_connect_ro(backup)) as src:
        _copy(src, pending, progress)
    check_database(pending)
    log.info("restore from %s prepared: it is done at the next start", backup)
    return pending


def apply_pending_restore(db: Path, now: datetime) -> Restored | None:
    """At start, before the database opens: a restore the menu prepared. On failure the
    database stays as it was and the prepared copy is renamed ``.restore-failed``."""
    pending = pending_path(db)
    if not pending.exists():
        return None
    try:
        done = restore_from(pending, db, None, migrate=migrate_file, now=now)
    except (BackupError, OSError, sqlite3.Error) as e:
        log.error("the prepared restore failed, the database is unchanged: %s", e)
        os.replace(pending, db.with_name(db.name + ".restore-failed"))
        return None
    pending.unlink(missing_ok=True)
    return done


def locations(database_url: str, folder: str) -> tuple[Path, Path]:
    """The SQLite database file and its backup folder (``[backup] folder`` or
    ``backups`` beside the database); BackupError for a non-SQLite database."""
    db = sqlite_path(database_url)
    return db, Path(folder) if folder else db.parent / "backups"


class BackupScheduler:
    """Runs ``daily_backup`` in a worker thread at start, then every ``interval_s``."""

    def __init__(
        self,
        db: Path,
        folder: Path,
        now: Callable[[], datetime],
        *,
        daily: int = 7,
        weekly: int = 4,
        interval_s: float = 3600.0,
    ) -> None:
        self.db, self.folder, self.now = db, folder, now
        self.daily, self.weekly, self.interval_s = daily, weekly, interval_s
        self.last_error: str | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="backup")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run_once(self) -> Path | None:
        try:
            made = await asyncio.to_thread(
                daily_backup,
                self.db,
                self.folder,
                self.now(),
                daily=self.daily,
                weekly=self.weekly,
            )
        except (BackupError, OSError, sqlite3.Error) as e:
            if self.last_error != str(e):  # once per distinct problem, not every hour
                log.error("daily backup failed: %s", e)
            self.last_error = str(e)
            return None
        self.last_error = None
        return made

    async def _run(self) -> None:
        while True:
            await self.run_once()
            await asyncio.sleep(self.interval_s)
