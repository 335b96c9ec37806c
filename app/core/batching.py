"""Group commit: concurrent callers' items are written in one transaction (one fsync) on a
worker thread, and each caller is answered only after that commit.

One owner for the queue, batch, ``to_thread``, resolve-futures and ``task_done`` loop that
POS nonces (``pos/auth.py``) use, and that order intake (``intake.py``) can use too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """``commit(items) -> results`` (one result per item, same order) runs in a thread for
    each batch of at most ``max_batch`` items that arrived while the previous one ran."""

    def __init__(
        self, commit: Callable[[list[T]], Sequence[R]], *, max_batch: int, name: str
    ) -> None:
        self.commit, self.max_batch, self.name = commit, max_batch, name
        self._queue: asyncio.Queue[tuple[T, asyncio.Future[R]]] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._queue = asyncio.Queue()
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

    async def submit(self, item: T) -> R:
        """The item's result, once the batch that holds it is committed."""
        self.start()
        assert self._queue is not None
        fut: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        await self._queue.put((item, fut))
        return await fut

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                results = await asyncio.to_thread(self.commit, [item for item, _ in batch])
            except Exception as e:  # every caller of the batch gets the failure
                log.exception("%s: committing %d item(s) failed", self.name, len(batch))
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(e)
            else:
                for (_, fut), result in zip(batch, results, strict=True):
                    if not fut.done():
                        fut.set_result(result)
            finally:
                for _ in batch:
                    self._queue.task_done()
