"""Web-Mercator maths for XYZ tiles. Coordinates stay GCJ-02 end to end: AutoNavi tiles
are drawn in GCJ-02, so plotting GCJ-02 points on them with plain Web Mercator is exact."""

from __future__ import annotations

import math

TILE = 256
MAX_LAT = 85.05112878


def world_px(lat: float, lng: float, zoom: float) -> tuple[float, float]:
    """Global pixel position of a point at ``zoom``."""
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    scale = TILE * 2**zoom
    x = (lng + 180.0) / 360.0 * scale
    s = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * scale
    return x, y


def lat_lng(x: float, y: float, zoom: float) -> tuple[float, float]:
    scale = TILE * 2**zoom
    lng = x / scale * 360.0 - 180.0
    n = math.pi - 2 * math.pi * y / scale
    lat = math.degrees(math.atan(math.sinh(n)))
    return lat, lng


def fit_zoom(points: list[tuple[float, float]], width: int, height: int,
             min_zoom: int = 3, max_zoom: int = 17) -> tuple[float, float, int]:  # fmt: skip
    """Center and integer zoom that show every point with a margin."""
    if not points:
        return 31.23, 121.47, 13
    lats = [p[0] for p in points]
    lngs = [p[1] for p in points]
    clat, clng = (min(lats) + max(lats)) / 2, (min(lngs) + max(lngs)) / 2
    for z in range(max_zoom, min_zoom - 1, -1):
        x0, y0 = world_px(max(lats), min(lngs), z)
        x1, y1 = world_px(min(lats), max(lngs), z)
        if x1 - x0 <= width * 0.8 and y1 - y0 <= height * 0.8:
            return clat, clng, z
    return clat, clng, min_zoom
