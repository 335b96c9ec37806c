"""The hub tests run on PostgreSQL: the fixtures are in ``tests/fakes/hub_pg.py``; every
test in this folder is marked ``hub``."""

from __future__ import annotations

import os

import pytest

from tests.fakes.hub_pg import hub_db_url, hub_process, hub_template, pg_admin_url

__all__ = ["hub_db_url", "hub_process", "hub_template", "pg_admin_url"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/hub/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.hub)
