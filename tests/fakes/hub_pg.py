"""PostgreSQL fixtures for the hub tests and the hub benchmark (imported by
``tests/hub/conftest.py`` and ``tests/bench/bench_hub.py``).

The server comes from ``JUPEI_TEST_PG_URL`` (``.ci/run`` starts a throw-away cluster and
exports it). Without it a developer's machine gets its own throw-away cluster through
``.ci/pg`` when the PostgreSQL binaries are there; otherwise the hub tests are skipped,
except under CI (``CI`` set), where a missing PostgreSQL fails loudly.

Each test gets a fresh database cloned from a migrated template (fast, isolated).
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.fakes.hub import ROOT, HubProcess


def _have_binaries() -> bool:
    return bool(shutil.which("initdb")) or any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    url = os.environ.get("JUPEI_TEST_PG_URL", "")
    if url:
        yield url
        return
    if os.environ.get("CI"):
        pytest.fail("CI: JUPEI_TEST_PG_URL is not set; .ci/run must start PostgreSQL")
    if not _have_binaries():
        pytest.skip("no PostgreSQL: set JUPEI_TEST_PG_URL or install the postgresql package")
    tmp = tempfile.mkdtemp(prefix="jupei-pg-")
    out = subprocess.run(
        ["bash", str(ROOT / ".ci/pg"), "start", tmp], capture_output=True, text=True, check=True
    ).stdout
    url = out.strip().split("=", 1)[1].strip("'")
    try:
        yield url
    finally:
        subprocess.run(["bash", str(ROOT / ".ci/pg"), "stop", tmp], check=False)
        shutil.rmtree(tmp, ignore_errors=True)


def _admin(url: str):
    return create_engine(
        make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )


@pytest.fixture(scope="session")
def hub_template(pg_admin_url) -> Iterator[str]:
    from app.hub.db import make_engine, migrate

    name = f"jupei_hub_tpl_{os.getpid()}"
    admin = _admin(pg_admin_url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    tpl_url = make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(tpl_url, pool_size=1)
    migrate(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_N = itertools.count(1)


@pytest.fixture
def hub_db_url(pg_admin_url, hub_template) -> Iterator[str]:
    """A fresh, migrated hub database for one test."""
    name = f"jupei_hub_t{os.getpid()}_{next(_N)}"
    admin = _admin(pg_admin_url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{hub_template}"'))
    try:
        yield make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def hub_process(hub_db_url):
    started: list[HubProcess] = []

    def start(env: dict[str, str] | None = None, port: int = 0) -> HubProcess:
        hp = HubProcess(hub_db_url, env, port)
        started.append(hp)
        return hp

    yield start
    for hp in started:
        hp.stop()
