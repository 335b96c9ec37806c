"""Storage: SQLAlchemy 2 Core tables, Alembic migrations, repositories that hand out
domain objects. ORM/Row objects never leave this package."""
