"""Group commit: a burst of submissions becomes a few batches, each caller gets its own
result in order, and a failed commit fails every caller of that batch (and only them)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from app.core.batching import GroupCommit


@pytest.mark.asyncio
async def test_burst_is_committed_in_batches_with_results_in_order():
    batches: list[list[int]] = []
    gate = threading.Event()

    def commit(items: list[int]) -> list[int]:
        gate.wait(5)  # hold the first batch so the rest of the burst queues up behind it
        batches.append(items)
        return [i * 10 for i in items]

    group = GroupCommit(commit, max_batch=50, name="test-group")
    calls = [asyncio.ensure_future(group.submit(i)) for i in range(120)]
    await asyncio.sleep(0)  # let the first submission start the worker
    gate.set()
    assert await asyncio.gather(*calls) == [i * 10 for i in range(120)]
    await group.stop()
    assert sorted(i for b in batches for i in b) == list(range(120))
    assert len(batches) < 120 and max(len(b) for b in batches) <= 50


@pytest.mark.asyncio
@pytest.mark.allow_warnings
async def test_failed_commit_fails_its_callers_and_the_next_batch_still_runs():
    def commit(items: list[str]) -> list[str]:
        if "bad" in items:
            raise OSError("disk full")
        return [s.upper() for s in items]

    group = GroupCommit(commit, max_batch=1, name="test-group")
    with pytest.raises(OSError, match="disk full"):
        await group.submit("bad")
    assert await group.submit("ok") == "OK"
    await group.stop()
