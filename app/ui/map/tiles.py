"""XYZ tile source, on-disk cache and an async fetcher on ``QNetworkAccessManager``.

Failing fetches never raise: the first failure is logged at INFO, then the fetcher backs
off for a while and the map draws its offline grid where tiles are missing."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtNetwork import QNetworkAccessManager, QNetworkReply, QNetworkRequest

log = logging.getLogger(__name__)

AUTONAVI = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
    "&x={x}&y={y}&z={z}"
)
OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
PRESETS = {"autonavi": AUTONAVI, "osm": OSM, "offline": ""}


@dataclass(frozen=True)
class TileSource:
    url: str = AUTONAVI  # empty: offline, never fetch
    subdomains: str = "1234"
    gcj02: bool = True  # False: a WGS-84 source (OSM); markers are then shifted slightly
    user_agent: str = "JuPei/0.1 (counter desk)"

    def url_for(self, x: int, y: int, z: int) -> str:
        s = self.subdomains[(x + y) % len(self.subdomains)] if self.subdomains else ""
        return self.url.format(s=s, x=x, y=y, z=z)

    @property
    def key(self) -> str:
        return hashlib.sha1(self.url.encode()).hexdigest()[:10]


def source_from_name(name_or_url: str) -> TileSource:
    url = PRESETS.get(name_or_url, name_or_url)
    return TileSource(url=url, subdomains="1234" if "{s}" in url else "", gcj02=url != OSM)


class TileCache:
    """``<cache_dir>/tiles/<source-key>/<z>/<x>/<y>.png`` plus an in-memory LRU-ish dict."""

    def __init__(self, root: Path, source: TileSource, memory: int = 512) -> None:
        self.root = root / "tiles" / source.key
        self._mem: dict[tuple[int, int, int], QPixmap] = {}
        self._memory = memory

    def path(self, x: int, y: int, z: int) -> Path:
        return self.root / str(z) / str(x) / f"{y}.png"

    def get(self, x: int, y: int, z: int) -> QPixmap | None:
        k = (x, y, z)
        pm = self._mem.get(k)
        if pm is None:
            p = self.path(x, y, z)
            if not p.exists():
                return None
            pm = QPixmap(str(p))
            if pm.isNull():
                return None
            self._remember(k, pm)
        return pm

    def put(self, x: int, y: int, z: int, data: bytes) -> QPixmap | None:
        pm = QPixmap()
        if not pm.loadFromData(data):
            return None
        p = self.path(x, y, z)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        except OSError as e:
            log.info("tile cache not writable: %s", e)
        self._remember((x, y, z), pm)
        return pm

    def _remember(self, k: tuple[int, int, int], pm: QPixmap) -> None:
        if len(self._mem) >= self._memory:
            self._mem.pop(next(iter(self._mem)))
        self._mem[k] = pm


class TileFetcher(QObject):
    tile_ready = Signal(int, int, int)

    BACKOFF_S = 60.0

    def __init__(self, source: TileSource, cache: TileCache, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.cache = cache
        self._nam: QNetworkAccessManager | None = None
        self._inflight: set[tuple[int, int, int]] = set()
        self._offline_until = 0.0
        self.failures = 0

    @property
    def online(self) -> bool:
        return bool(self.source.url) and time.monotonic() >= self._offline_until

    def request(self, x: int, y: int, z: int) -> None:
        k = (x, y, z)
        if k in self._inflight or not self.online or len(self._inflight) > 16:
            return
        if self._nam is None:
            self._nam = QNetworkAccessManager(self)
        req = QNetworkRequest(QUrl(self.source.url_for(x, y, z)))
        req.setHeader(QNetworkRequest.KnownHeaders.UserAgentHeader, self.source.user_agent)
        req.setTransferTimeout(8000)
        self._inflight.add(k)
        reply = self._nam.get(req)
        reply.finished.connect(lambda r=reply, k=k: self._done(r, k))

    def _done(self, reply: QNetworkReply, k: tuple[int, int, int]) -> None:
        self._inflight.discard(k)
        try:
            if reply.error() != QNetworkReply.NetworkError.NoError:
                self._failed(reply.errorString())
                return
            if self.cache.put(*k, bytes(reply.readAll().data())) is not None:
                self.failures = 0
                self.tile_ready.emit(*k)
        finally:
            reply.deleteLater()

    def _failed(self, why: str) -> None:
        self.failures += 1
        if time.monotonic() >= self._offline_until:
            log.info("map tiles unavailable (%s); offline map for %.0f s", why, self.BACKOFF_S)
        self._offline_until = time.monotonic() + self.BACKOFF_S
