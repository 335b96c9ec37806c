"""Engine creation, SQLite durability pragmas and migrations.

SQLite runs in WAL mode with ``synchronous=FULL``: a commit that backs an
acknowledgement (a POS 2xx) is on disk before anyone is told "ok". PostgreSQL works
unchanged through the URL.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import CursorResult, Engine, create_engine, event

from app.core.storage.faults import BUSY_TIMEOUT_S

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    is_sqlite = url.startswith("sqlite")
    kw: dict[str, Any] = {"future": True}
    if is_sqlite:
        kw["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_S}
        if url.rstrip("/") in ("sqlite:", "sqlite://", "sqlite:///:memory:"):
            from sqlalchemy.pool import StaticPool

            kw["poolclass"] = StaticPool
    else:
        kw["pool_pre_ping"] = True
    engine = create_engine(url, **kw)
    if is_sqlite:

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:  # pragma: no cover - every test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            # a locked database is waited for 3 s, then the POS hears 503 storage_busy
            # (a POS gives up after ~10 s and would retry into the same wait)
            cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            cur.close()

    return engine


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key a single-row INSERT just made."""
    key = result.inserted_primary_key
    assert key is not None, "not a single-row insert"
    return int(key[0])


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to head (idempotent)."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    command.upgrade(alembic_config(engine), "head")
