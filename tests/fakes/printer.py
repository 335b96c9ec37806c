"""Printing fakes: a raw-TCP ESC/POS printer on loopback that records bytes and answers
status queries, a port nothing listens on, a sample ticket, an ink counter for rendered
images, and a small core on a temp database (no carriers, no dispatcher)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from PIL import Image

from app.core.config import Settings
from app.core.domain import DeliveryAttempt, DeliveryStatus, Rider
from app.core.events import Event, EventBus
from app.core.printing.layout import TicketData, TicketItem
from app.core.secrets import MemorySecretStore
from app.core.service import AppService
from app.core.storage.db import make_engine, migrate
from app.core.storage.repos import Database
from tests.fakes.clock import FakeClock
from tests.helpers import sample_order


def ticket() -> TicketData:
    return TicketData(
        order_id=1,
        pos_order_id="P1001",
        store_name="聚配演示店（人民广场店）",
        store_phone="021-63500000",
        pickup_no="A12",
        channel="美团外卖",
        time="11-24 12:00",
        items=(
            TicketItem("宫保鸡丁", 1, 3800),
            TicketItem("米饭", 2, 200),
            TicketItem("超级无敌豪华至尊香辣小龙虾大份加麻加辣", 1, 12800),
            TicketItem("Coke Zero 330ml can", 12, 350),
        ),
        total_fen=16800,
        delivery_fee_fen=500,
        note="少辣，不要香菜，多放点米饭，谢谢！门口放下即可，打电话给我：13812345678",
        customer_name="张三",
        customer_phone="138****5678",
        address="上海市黄浦区西藏中路268号来福士广场办公楼3楼301室",
        carrier="达达",
        carrier_order_id="DD202611240001",
        rider="王师傅 139****0000",
        qr_data="https://t.example.com/track/DD202611240001",
        qr_is_tracking=True,
        printed_at="11-24 12:01:02",
    )


@dataclass
class FakePrinter:
    """A raw-TCP ESC/POS printer: records each connection's bytes and answers DLE EOT
    with ``status`` (printer byte, paper byte) or stays silent when ``status`` is None."""

    status: tuple[int, int] | None = (0x12, 0x12)
    conns: list[bytes] = field(default_factory=list)
    server: asyncio.base_events.Server | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]

    def tickets(self) -> list[bytes]:
        return [c for c in self.conns if c.startswith(b"\x1b@")]

    async def _handle(self, reader, writer) -> None:
        buf = b""
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(65536):
                buf += chunk
                if self.status is not None and chunk.startswith(b"\x10\x04"):
                    writer.write(bytes([self.status[0] if chunk[2] == 1 else self.status[1]]))
                    await writer.drain()
        self.conns.append(buf)
        writer.close()


async def start_printer(fp: FakePrinter | None = None) -> FakePrinter:
    """Listen on a free loopback port; close ``fp.server`` when done."""
    fp = fp or FakePrinter()
    fp.server = await asyncio.start_server(fp._handle, "127.0.0.1", 0)
    return fp


def dark_pixels(img: Image.Image) -> int:
    """How many pixels carry ink (for "the preview is not blank" checks)."""
    return sum(img.convert("L").point(lambda v: 255 if v < 128 else 0).histogram()[255:])


def dead_port() -> int:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: connection refused
    return port


@dataclass
class Env:
    svc: AppService
    clock: FakeClock
    events: list[Event]
    order_id: int

    def make_printing(self, **kw):
        from app.core.printing.service import PrintDeps, PrintService

        kw.setdefault("retry_s", 0.05)
        kw.setdefault("probe_timeout", 0.3)
        svc = self.svc
        deps = PrintDeps(svc.db, svc.bus, svc.clock, lambda: svc.settings, svc.order_detail)
        return PrintService(deps, **kw)


def build_env(tmp_path, printers: list[dict], **printing) -> Env:
    engine = make_engine(f"sqlite:///{tmp_path / 'print.db'}")
    migrate(engine)
    db = Database(engine)
    clock = FakeClock()
    settings = Settings(
        database={"url": f"sqlite:///{tmp_path / 'print.db'}"},
        printing={"printers": printers, **printing},
    )
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe_all(events.append)
    svc = AppService(settings, db, bus, clock, MemorySecretStore(), None, None)  # type: ignore[arg-type]
    out = db.insert_orders([(sample_order(), "h1", "pos")], clock.now())
    oid = out[0].order.id
    assert oid is not None
    db.insert_attempt(
        DeliveryAttempt(
            oid,
            1,
            "dada",
            "JP-1-1",
            DeliveryStatus.ACCEPTED,
            carrier_order_id="DD9001",
            rider=Rider("王师傅", "13900001111"),
            tracking_url="https://t.example.com/DD9001",
            created_at=clock.now(),
        )
    )
    return Env(svc, clock, events, oid)
