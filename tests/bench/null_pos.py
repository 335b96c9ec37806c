"""P2's baseline server: the POS API's own aiohttp app (``PosListener``: middleware, size
limit, signature and replay check, JSON parsing, order validation, the same response)
with nothing durable behind it — nonces are remembered in a set (an order's nonce too, as
``serve`` stores it in the order's commit) and ``submit_order_payload`` answers "created"
at once. P2 divides ``serve``'s durable throughput by this one's, so
the ratio is the price of durability (SQLite group commit), not of the HTTP stack.

    python -m tests.bench.null_pos PORT     (prints READY once listening)
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from typing import Any

from app.core.clock import SystemClock
from app.core.config import Settings
from app.core.intake import ReplayNonce
from app.core.pos.listener import PosListener
from app.core.pos.schema import parse_order, payload_hash
from app.core.storage.repos import InsertOutcome
from tests.fakes.pos import SECRET  # the one start_serve gives the durable server


class MemoryNonces:
    """``NonceBatcher``'s interface, in memory (no fsync)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def remember(self, nonce: str) -> bool:
        if nonce in self.seen:
            return False
        self.seen.add(nonce)
        return True


@dataclass
class NullDoor:
    """The POS API's door (``PosDoor``) with the same parsing and fingerprinting as
    ``AppService.submit_order_payload``, and nothing stored."""

    settings: Settings = field(default_factory=Settings)
    nonces: MemoryNonces = field(default_factory=MemoryNonces)

    def pos_secret(self) -> str:
        return SECRET

    async def submit_order_payload(
        self, payload: Any, *, source: str, nonce: ReplayNonce | None = None
    ) -> InsertOutcome:
        s = self.settings
        order = parse_order(payload, default_dispatch=s.pos.default_dispatch or s.dispatch.mode)
        payload_hash(payload)
        if nonce is not None and not await self.nonces.remember(nonce.value):
            return InsertOutcome(order, "replay")
        return InsertOutcome(order, "created")

    async def order_detail_by_pos_id(self, pos_order_id: str) -> None:
        return None

    async def cancel_from_pos(self, detail: Any, *, reason: str, confirm: bool) -> dict[str, Any]:
        raise NotImplementedError  # P2 only creates orders


async def serve(port: int) -> None:
    door = NullDoor()
    door.settings.pos.port = port
    listener = PosListener(
        door,
        settings=lambda: door.settings,
        outbox=None,  # type: ignore[arg-type]  # the batcher is replaced below
        clock=SystemClock(),
    )
    listener._nonces = door.nonces  # type: ignore[assignment]  # the bench's whole point
    await listener.start()
    print("READY", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
