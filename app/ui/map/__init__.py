"""A Qt-native slippy map (QPainter + QNetworkAccessManager): GCJ-02 tiles with an on-disk
cache, and a clean offline fallback (grid, markers and routes without tiles)."""
