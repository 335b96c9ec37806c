"""The hub's engine and its own Alembic migrations (``app/hub/migrations``, version table
``hub_alembic_version``; they never mix with the counter's SQLite schema).

Several hub processes may start at once against one database: ``migrate`` holds a
PostgreSQL advisory lock while it upgrades, so exactly one of them does the work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, text

from app.hub.config import check_database_url

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "hub_alembic_version"
_MIGRATE_LOCK = 0x4A55_4855_4201  # pg_advisory_lock key: "JUHUB" + 1


def make_engine(url: str, *, pool_size: int = 8) -> Engine:
    return create_engine(
        check_database_url(url),
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=pool_size,
    )


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the hub schema to head (idempotent; safe with several processes starting)."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATE_LOCK})
        conn.commit()
        try:
            command.upgrade(alembic_config(engine), "head")
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATE_LOCK})
            conn.commit()


@dataclass(frozen=True, slots=True)
class SchemaState:
    current: str | None
    head: str | None

    @property
    def up_to_date(self) -> bool:
        return self.current is not None and self.current == self.head


def schema_state(engine: Engine) -> SchemaState:
    """Which hub migration the database is at, and the newest this code knows."""
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        current = ctx.get_current_revision()
    return SchemaState(current, head)
