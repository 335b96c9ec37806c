"""Signing: a worked example (what the README shows), verification and nonce format."""

import hashlib
import hmac

from app.core.pos import signature as sig


def test_worked_example_matches_plain_hmac():
    body = b'{"pos_order_id":"P1"}'
    expected = hmac.new(b"secret", b"1764000000.abcdefgh." + body, hashlib.sha256).hexdigest()
    assert sig.sign("secret", 1764000000, "abcdefgh", body) == expected
    assert sig.sign("secret", "1764000000", "abcdefgh", body) == expected
    assert expected == expected.lower()


def test_verify_accepts_good_and_rejects_tampering():
    s = sig.sign("k", "100", "nonce-123", b"x")
    assert sig.verify("k", "100", "nonce-123", b"x", s)
    assert sig.verify("k", "100", "nonce-123", b"x", s.upper())
    assert not sig.verify("k", "100", "nonce-123", b"y", s)
    assert not sig.verify("k", "101", "nonce-123", b"x", s)
    assert not sig.verify("other", "100", "nonce-123", b"x", s)
    assert not sig.verify("k", "100", "nonce-123", b"x", "zz" + s[2:])
    assert not sig.verify("k", "100", "nonce-123", b"x", "签名")


def test_nonce_format():
    assert sig.valid_nonce("abcdefgh") and sig.valid_nonce("A" * 64) and sig.valid_nonce("a_b-c123")
    for bad in ["short", "A" * 65, "has space", "nonce.dot!", "", "ünïcödé1"]:
        assert not sig.valid_nonce(bad)
    assert sig.valid_nonce(sig.new_nonce())


def test_signed_headers():
    h = sig.signed_headers("k", b"{}", now=1764000000.7, nonce="fixednonce")
    assert h == {
        "X-Jupei-Timestamp": "1764000000",
        "X-Jupei-Nonce": "fixednonce",
        "X-Jupei-Signature": sig.sign("k", "1764000000", "fixednonce", b"{}"),
    }
    a, b = (sig.signed_headers("k", b"", now=1.0) for _ in range(2))
    assert a["X-Jupei-Nonce"] != b["X-Jupei-Nonce"]
