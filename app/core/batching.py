"""Group commit: concurrent callers' items are written in one transaction (one fsync) on a
worker thread, and each caller is answered only after that commit.

One owner for the queue, batch, ``to_thread``, resolve-futures and ``task_done`` loop that
order intake (``intake.py``) and lone POS nonces (``pos/auth.py``) use. A batch is taken
as soon as the worker is free: what queued while the previous commit ran goes together,
and a lone item is committed at once (no waiting window, so low load means low latency).

Each group commits on a thread of its own, not in the loop's shared default executor: there
a burst of reads (one per new order, from other subscribers) would queue ahead of the
commit that everyone's answer waits for (P2 profile: 2,000 reads ahead of 60 commits)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

from app.core.storage.faults import classify

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """``commit(items) -> results`` (one result per item, same order) runs in a thread for
    each batch of at most ``max_batch`` items that arrived while the previous one ran."""

    def __init__(
        self,
        commit: Callable[[list[T]], Sequence[R]],
        *,
        max_batch: int,
        name: str,
        committed: Callable[[list[T], Sequence[R]], None] | None = None,
    ) -> None:
        self.commit, self.max_batch, self.name = commit, max_batch, name
        # runs on the loop after each successful batch, even if its callers were cancelled
        # (a client that hung up): what was committed is announced all the same
        self.committed = committed
        self._queue: asyncio.Queue[tuple[T, asyncio.Future[R]]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread: ThreadPoolExecutor | None = None

    def start(self) -> None:
        if self._task is None:
            self._queue = asyncio.Queue()
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.name)
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._task is None:
            return
        assert self._queue is not None
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if self._thread is not None:
            self._thread.shutdown(wait=False)  # idle: the queue was drained above
            self._thread = None

    async def submit(self, item: T) -> R:
        """The item's result, once the batch that holds it is committed."""
        self.start()
        assert self._queue is not None
        fut: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        await self._queue.put((item, fut))
        return await fut

    def _announce(self, items: list[T], results: Sequence[R]) -> None:
        if self.committed is None:
            return
        try:
            self.committed(items, results)
        except Exception:  # the commit stands; a failing listener must not stop the loop
            log.exception("%s: after-commit hook failed", self.name)

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                loop = asyncio.get_running_loop()
                items = [item for item, _ in batch]
                results = await loop.run_in_executor(self._thread, self.commit, items)
            except Exception as e:  # every caller of the batch gets the failure
                if classify(e) is None:  # a storage fault is logged once a minute by its
                    log.exception("%s: committing %d item(s) failed", self.name, len(batch))
                # caller's StorageWatch (the POS API), not once per batch
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(e)
            else:
                for (_, fut), result in zip(batch, results, strict=True):
                    if not fut.done():
                        fut.set_result(result)
                self._announce([item for item, _ in batch], results)
            finally:
                for _ in batch:
                    self._queue.task_done()
