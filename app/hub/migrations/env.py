"""Alembic environment of the hub: the engine comes from ``app.hub.db``."""

from alembic import context

from app.hub.db import VERSION_TABLE
from app.hub.tables import metadata

engine = context.config.attributes.get("engine")


def run() -> None:
    assert engine is not None, "hub migrations run through app.hub.db.migrate"
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, version_table=VERSION_TABLE)
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()


run()
