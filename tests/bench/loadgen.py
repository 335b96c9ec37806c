"""P2's load generator: signed POS orders over raw asyncio streams, HTTP/1.1 keep-alive,
one connection per worker, requests built and signed before the clock starts. It is
meant to cost the server's machine as little as possible (the httpx-based ``pos-sim``
spent more CPU than the server it measured on these 2 cores). Run in its own process:

    python -m tests.bench.loadgen URL --count 2000 --concurrency 64 [--rate 100]

Prints one JSON line: sent, codes, orders/s, p50/p99 latency (ms). With ``--rate`` the
load is open-loop: request i is due at ``t0 + i/rate`` and its latency counts from then,
so a server that falls behind shows it instead of slowing the generator down.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from urllib.parse import urlsplit

from app.core.config import Settings
from app.core.pos.signature import signed_headers
from app.core.pos.sim import build_payloads
from tests.bench.null_pos import SECRET


def requests(host: str, count: int) -> list[bytes]:
    """``count`` ready-to-send POST /api/v1/orders requests (manual dispatch: P2 measures
    intake, not the dispatch work an order starts afterwards)."""
    out = []
    for p in build_payloads(count, Settings().store, dispatch="manual"):
        body = json.dumps(p, ensure_ascii=False).encode()
        head = {"Host": host, "Content-Type": "application/json",
                "Content-Length": str(len(body)), **signed_headers(SECRET, body, now=time.time())}  # fmt: skip
        lines = "".join(f"{k}: {v}\r\n" for k, v in head.items())
        out.append(f"POST /api/v1/orders HTTP/1.1\r\n{lines}\r\n".encode() + body)
    return out


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, req: bytes) -> int:
    writer.write(req)
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def run(url: str, count: int, concurrency: int, rate: float) -> dict:
    u = urlsplit(url)
    todo = iter(enumerate(requests(u.netloc, count)))
    conns = [await asyncio.open_connection(u.hostname, u.port) for _ in range(concurrency)]
    lat: list[float] = []
    codes: dict[int, int] = {}
    t0 = time.perf_counter()

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for i, req in todo:
            due = t0 + i / rate if rate > 0 else time.perf_counter()
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            code = await _exchange(reader, writer, req)
            lat.append((time.perf_counter() - due) * 1000)
            codes[code] = codes.get(code, 0) + 1
        writer.close()

    await asyncio.gather(*(worker(r, w) for r, w in conns))
    elapsed = time.perf_counter() - t0
    lat.sort()

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))]

    ok = sum(n for c, n in codes.items() if 200 <= c < 300)
    return {"sent": len(lat), "ok": ok, "codes": codes, "rate": ok / elapsed,
            "p50": pct(50), "p99": pct(99), "elapsed_s": elapsed}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--rate", type=float, default=0.0)
    a = ap.parse_args()
    print(json.dumps(asyncio.run(run(a.url, a.count, a.concurrency, a.rate))), flush=True)


if __name__ == "__main__":
    main()
