"""HMAC-SHA256 request signing shared by the POS API, its webhook and the sample client.

Signature = lowercase hex HMAC-SHA256(key=POS secret, msg=timestamp + "." + nonce + "." +
raw body bytes), sent with ``X-Jupei-Timestamp`` (unix seconds) and ``X-Jupei-Nonce``
(8-64 chars of ``[A-Za-z0-9_-]``, fresh per request)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets as pysecrets
from typing import Any

TIMESTAMP_HEADER = "X-Jupei-Timestamp"
NONCE_HEADER = "X-Jupei-Nonce"
SIGNATURE_HEADER = "X-Jupei-Signature"
AUTH_HEADERS = (TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER)

_NONCE = re.compile(r"[A-Za-z0-9_-]{8,64}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX = re.compile(r"[0-9a-fA-F]{64}")


def valid_nonce(nonce: str) -> bool:
    return _NONCE.fullmatch(nonce) is not None


def valid_timestamp(timestamp: str) -> bool:
    return _TIMESTAMP.fullmatch(timestamp) is not None


def new_nonce() -> str:
    return pysecrets.token_urlsafe(18)  # 24 chars of [A-Za-z0-9_-]


def sign(secret: str, timestamp: str | int, nonce: str, body: bytes) -> str:
    msg = f"{timestamp}.{nonce}.".encode() + body
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, nonce: str, body: bytes, signature: str) -> bool:
    """Constant-time check; hex case is ignored."""
    if _HEX.fullmatch(signature) is None:
        return False
    expected = sign(secret, timestamp, nonce, body)
    return hmac.compare_digest(expected.encode(), signature.lower().encode())


def signed_headers(
    secret: str, body: bytes, *, now: float, nonce: str | None = None
) -> dict[str, Any]:
    """The three auth headers for one request sent at unix time ``now``."""
    ts = str(int(now))
    n = nonce or new_nonce()
    return {
        TIMESTAMP_HEADER: ts,
        NONCE_HEADER: n,
        SIGNATURE_HEADER: sign(secret, ts, n, body),
    }
