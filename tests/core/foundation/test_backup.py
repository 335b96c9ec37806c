"""Backups and restore (issue 19, item 3): the online backup of a live WAL database,
backup -> wipe -> restore -> the same orders, rotation (7 daily + 4 weekly), restore
refused while JuPei runs or from a corrupt file, the CLI, and the core's daily backup."""

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.__main__ import main
from app.core.backup import (
    BackupError,
    backup_name,
    backup_to,
    check_database,
    daily_backup,
    hold_running_lock,
    list_backups,
    restore_from,
    rotate,
)
from app.core.pos.schema import payload_hash
from app.core.storage.db import make_engine, migrate
from app.core.storage.repos import Database
from tests.helpers import sample_order, started_core, wait_until

NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)


def _db(path: Path) -> Database:
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    return Database(engine)


def _fill(db: Database, n: int) -> None:
    for i in range(n):
        o = sample_order(f"P{i:04d}", total_fen=1000 + i)
        db.insert_orders([(o, payload_hash({"i": i}), "pos")], NOW)


def _orders(path: Path) -> list[tuple[str, int, str]]:
    with sqlite3.connect(path) as c:
        rows = c.execute("SELECT pos_order_id, total_fen, customer_phone FROM orders")
        return sorted(rows.fetchall())


def _migrate_file(path: Path) -> None:
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()


def test_backup_wipe_restore_gives_the_same_orders(tmp_path):
    live = tmp_path / "jupei.db"
    db = _db(live)
    _fill(db, 25)  # the engine stays open: the rows may still be in the WAL only
    progress: list[tuple[int, int]] = []
    (tmp_path / "out").mkdir()
    made = backup_to(live, tmp_path / "out")  # a folder: a dated name in it
    db.engine.dispose()
    assert made.parent == tmp_path / "out" and made.name.startswith("jupei-")
    before = _orders(live)
    assert len(before) == 25
    db2 = _db(live)
    _fill(db2, 3)  # more orders after the backup: gone after the restore
    db2.engine.dispose()
    live.unlink()
    for side in ("-wal", "-shm"):
        Path(f"{live}{side}").unlink(missing_ok=True)
    done = restore_from(
        made,
        live,
        tmp_path,
        migrate=_migrate_file,
        now=NOW,
        progress=lambda d, t: progress.append((d, t)),
    )
    assert done.database == live and done.kept_aside is None  # wiped: nothing to keep
    assert _orders(live) == before
    assert progress and progress[-1][0] == progress[-1][1]  # reported to the end
    check_database(live)


def test_online_backup_of_an_open_wal_database_has_the_uncheckpointed_rows(tmp_path):
    live = tmp_path / "jupei.db"
    db = _db(live)
    _fill(db, 5)
    with db.engine.connect() as c:  # a reader holds the WAL open while we back up
        c.exec_driver_sql("SELECT count(*) FROM orders").scalar()
        assert Path(f"{live}-wal").stat().st_size > 0
        made = backup_to(live, tmp_path / "b.db")
    assert len(_orders(made)) == 5
    with sqlite3.connect(made) as c:  # one self-contained file, not WAL
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    db.engine.dispose()


def test_restore_keeps_the_replaced_database_aside(tmp_path):
    live = tmp_path / "jupei.db"
    db = _db(live)
    _fill(db, 2)
    made = backup_to(live, tmp_path / "b.db")
    _fill_more = _db(live)
    _fill(_fill_more, 4)  # 4 more orders P0000.. are duplicates: still 4 distinct
    _fill_more.engine.dispose()
    db.engine.dispose()
    replaced = _orders(live)
    done = restore_from(made, live, tmp_path, migrate=_migrate_file, now=NOW)
    assert done.kept_aside == tmp_path / "jupei.db.before-restore-20261124-040000"
    assert _orders(done.kept_aside) == replaced and len(replaced) == 4
    assert len(_orders(live)) == 2


def test_restore_refused_while_jupei_runs(tmp_path):
    live = tmp_path / "jupei.db"
    db = _db(live)
    _fill(db, 3)
    made = backup_to(live, tmp_path / "b.db")
    _fill(db, 6)
    db.engine.dispose()
    fd = hold_running_lock(tmp_path, "gui.lock")  # as the running GUI holds it
    assert fd is not None
    try:
        with pytest.raises(BackupError, match="running"):
            restore_from(made, live, tmp_path, migrate=_migrate_file, now=NOW)
    finally:
        import os

        os.close(fd)
    assert len(_orders(live)) == 6  # untouched
    restore_from(made, live, tmp_path, migrate=_migrate_file, now=NOW)  # stopped: fine
    assert len(_orders(live)) == 3


@pytest.mark.parametrize("kind", ["garbage", "truncated", "not_jupei"])
def test_corrupt_backup_refused_and_the_database_untouched(tmp_path, kind):
    live = tmp_path / "jupei.db"
    db = _db(live)
    _fill(db, 4)
    db.engine.dispose()
    bad = tmp_path / "bad.db"
    if kind == "garbage":
        bad.write_bytes(b"this is not a database" * 100)
    elif kind == "truncated":
        made = backup_to(live, tmp_path / "good.db")
        data = made.read_bytes()
        bad.write_bytes(data[: len(data) // 2])
    else:
        with sqlite3.connect(bad) as c:
            c.execute("CREATE TABLE t (x)")
    with pytest.raises(BackupError):
        restore_from(bad, live, tmp_path, migrate=_migrate_file, now=NOW)
    assert len(_orders(live)) == 4
    assert sorted(p.name for p in tmp_path.iterdir() if "restor" in p.name) == []


def test_rotation_keeps_7_daily_and_4_weekly(tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    start = datetime(2026, 9, 1, 3, 0, tzinfo=UTC)  # 60 days, two backups on each
    for day in range(60):
        for hour in (3, 15):
            t = start + timedelta(days=day, hours=hour - 3)
            (folder / backup_name(t)).write_bytes(b"x")
    (folder / "notes.txt").write_text("not a backup")
    gone = rotate(folder, daily=7, weekly=4)
    kept = [t for t, _p in list_backups(folder)]
    last = start + timedelta(days=59, hours=12)
    daily = [last - timedelta(days=i) for i in range(7)]
    assert kept[:7] == daily  # the newest of each of the last 7 days
    weekly = kept[7:]
    assert len(weekly) == 4
    weeks = [t.isocalendar()[:2] for t in weekly]
    assert len(set(weeks)) == 4
    assert all(w not in {d.isocalendar()[:2] for d in daily} for w in weeks)
    for t in weekly:  # the newest backup of its week
        assert t.weekday() == 6 and t.hour == 15
    assert len(gone) == 120 - 11 and (folder / "notes.txt").exists()


def test_daily_backup_once_a_day(tmp_path):
    live = tmp_path / "jupei.db"
    db = _db(live)
    _fill(db, 1)
    folder = tmp_path / "backups"
    first = daily_backup(live, folder, NOW)
    assert first is not None and len(_orders(first)) == 1
    assert daily_backup(live, folder, NOW + timedelta(hours=5)) is None  # same day
    assert daily_backup(live, folder, NOW + timedelta(days=1)) is not None
    assert len(list_backups(folder)) == 2
    db.engine.dispose()


def test_cli_backup_and_restore(tmp_data, capsys):
    live = tmp_data / "data" / "jupei.db"
    live.parent.mkdir(parents=True, exist_ok=True)
    db = _db(live)
    _fill(db, 7)
    db.engine.dispose()
    out = tmp_data / "usb" / "jupei-backup.db"
    assert main(["backup", str(out)]) == 0
    assert "secrets" in capsys.readouterr().out
    live.unlink()
    assert main(["restore", str(out)]) == 0
    assert len(_orders(live)) == 7
    (tmp_data / "junk.db").write_bytes(b"junk" * 50)
    assert main(["restore", str(tmp_data / "junk.db")]) == 2
    assert "restore failed" in capsys.readouterr().err
    assert len(_orders(live)) == 7


@pytest.mark.asyncio
async def test_the_core_makes_the_daily_backup_in_the_background(tmp_path):
    async with started_core(tmp_path, backup={"enabled": True}) as core:
        assert core.backups is not None
        made = await wait_until(lambda: list_backups(tmp_path / "backups"))
        assert await core.backups.run_once() is None  # today's exists
        check_database(made[0][1])


@pytest.mark.asyncio
async def test_menu_restore_is_staged_and_done_at_the_next_start(tmp_path):
    async with started_core(tmp_path) as core:
        svc = core.service
        _fill(svc.db, 3)
        made = await svc.backup_now(progress=lambda d, t: None)
        assert made.parent == tmp_path / "backups"
        folder, listed = await svc.backups()
        assert folder == tmp_path / "backups" and [p for _t, p in listed] == [made]
        _fill(svc.db, 5)  # two more after the backup
        with pytest.raises(BackupError):
            await svc.prepare_restore(tmp_path / "missing.db")
        staged = await svc.prepare_restore(made)
        assert staged.exists() and svc.db.count_orders() == 5  # nothing replaced while running
    async with started_core(tmp_path) as core:  # the next start restores, then opens
        assert core.service.db.count_orders() == 3
    assert not staged.exists()
    assert [p.name for p in tmp_path.glob("test.db.before-restore-*")] != []


@pytest.mark.asyncio
@pytest.mark.allow_warnings  # the failed restore is logged as an error
async def test_a_failed_staged_restore_leaves_the_database_as_it_was(tmp_path):
    async with started_core(tmp_path) as core:
        _fill(core.service.db, 2)
    (tmp_path / "test.db.restore-pending").write_bytes(b"broken" * 100)
    async with started_core(tmp_path) as core:
        assert core.service.db.count_orders() == 2
    assert (tmp_path / "test.db.restore-failed").exists()
    assert not (tmp_path / "test.db.restore-pending").exists()


@pytest.mark.asyncio
@pytest.mark.allow_warnings  # the failing backup is logged as an error, once
async def test_a_failing_daily_backup_is_logged_once_and_recovers(tmp_path, caplog):
    from app.core.backup import BackupScheduler

    live = tmp_path / "jupei.db"
    sched = BackupScheduler(live, tmp_path / "backups", lambda: NOW)
    assert await sched.run_once() is None and sched.last_error  # no database yet
    assert await sched.run_once() is None
    failed = [r for r in caplog.records if "daily backup failed" in r.getMessage()]
    assert len(failed) == 1
    db = _db(live)
    _fill(db, 1)
    made = await sched.run_once()
    assert made is not None and sched.last_error is None
    db.engine.dispose()
