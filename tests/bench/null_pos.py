"""P2's baseline server: the POS API's own aiohttp app (``PosListener``: middleware, size
limit, signature and replay check, JSON parsing, order validation, the same response)
with nothing durable behind it — nonces are remembered in a set and ``receive_order``
answers "created" at once. P2 divides ``serve``'s durable throughput by this one's, so
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
from app.core.domain import Order
from app.core.pos.listener import PosListener
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
class _NoDb:
    engine: Any = None  # PosListener hands it to the NonceBatcher it builds; replaced below


@dataclass
class NullService:
    """The slice of AppService the POS listener uses; stores nothing."""

    settings: Settings
    clock: SystemClock = field(default_factory=SystemClock)
    db: _NoDb = field(default_factory=_NoDb)
    next_id: int = 0

    def pos_secret(self) -> str:
        return SECRET

    async def receive_order(self, order: Order, payload_hash: str, source: str) -> InsertOutcome:
        self.next_id += 1
        return InsertOutcome(order, "created")


async def serve(port: int) -> None:
    settings = Settings()
    settings.pos.port = port
    listener = PosListener(NullService(settings))
    listener._nonces = MemoryNonces()  # type: ignore[assignment]  # the bench's whole point
    await listener.start()
    print("READY", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
