"""Alembic environment: the engine comes from the app (``config.attributes``)."""

from alembic import context

from app.core.storage.search_index import include_name
from app.core.storage.tables import metadata

engine = context.config.attributes.get("engine")


def run() -> None:
    if engine is None:
        url = context.config.get_main_option("sqlalchemy.url")
        from app.core.storage.db import make_engine

        assert url, "alembic: no engine given and no sqlalchemy.url"
        eng = make_engine(url)
    else:
        eng = engine
    with eng.connect() as conn:
        context.configure(
            connection=conn,
            target_metadata=metadata,
            render_as_batch=conn.dialect.name == "sqlite",
            include_name=include_name,  # the FTS5 search index is not in the metadata
        )
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()


run()
