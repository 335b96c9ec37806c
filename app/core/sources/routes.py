"""The HTTP face of pushes: ``POST /api/v1/sources/{source}/{kind}`` on the local listener
(same aiohttp app and port as the POS API). Each request goes through
``inbox.receive_push``, so it is verified by the platform's own signature, deduped and
stored before the platform gets its exact reply. A source that is off answers 404; a
store or platform failure answers 503 so the platform retries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from app.core.sources.base import PushRequest, SourceConnector, SourceError
from app.core.sources.inbox import PushReply, receive_push
from app.core.sources.runner import SourceRunner
from app.core.sources.store import SourceStore

log = logging.getLogger(__name__)

PATH = "/api/v1/sources/{source}/{kind}"

#: the one push path (``SourceDesk.handle_push``): the listener and a hub relay both call it
Receive = Callable[[str, str, PushRequest], Awaitable[PushReply]]


class SourcePushes:
    def __init__(
        self,
        connectors: Mapping[str, SourceConnector],
        store: SourceStore,
        runners: Mapping[str, SourceRunner] | None = None,
        receive: Receive | None = None,
    ) -> None:
        self.connectors, self.store = connectors, store
        self.runners = runners or {}
        self.receive = receive  # set: it stores, replies and hands on (the desk)
        self._after: set[asyncio.Task[None]] = set()

    async def handle(self, request: web.Request) -> web.Response:
        source, kind = request.match_info["source"], request.match_info["kind"]
        connector = self.connectors.get(source)
        if connector is None:
            return web.json_response(
                {"error": f"source {source!r} is not receiving pushes"}, status=404
            )
        push = PushRequest(
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            await request.read(),
        )
        try:
            if self.receive is not None:
                reply = await self.receive(source, kind, push)
            else:
                reply = await receive_push(connector, self.store, kind, push)
                self._hand_on(source, reply)
        except SourceError as e:  # a needed read failed: nothing remembered, platform retries
            log.info("%s: push %s not applied: %s", source, kind, e)
            return web.json_response({"error": "try again"}, status=503)
        return web.Response(status=reply.status, body=reply.body, content_type=_mime(reply))

    def _hand_on(self, source: str, reply: PushReply) -> None:
        """New orders go to the runner (board, sound, auto-confirm) after the reply: the
        platform must not wait for our confirm call."""
        runner = self.runners.get(source)
        if runner is None or not reply.new_orders:
            return
        task = asyncio.get_running_loop().create_task(runner.pushed(reply))
        self._after.add(task)
        task.add_done_callback(self._after.discard)

    async def drain(self) -> None:
        """Wait for hand-ons still running (stop, tests)."""
        if self._after:
            await asyncio.gather(*self._after, return_exceptions=True)


def _mime(reply: PushReply) -> str:
    return reply.content_type.split(";", 1)[0].strip() or "application/json"
