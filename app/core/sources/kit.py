"""Small pieces every source connector shares: digests, value helpers, answer and push
envelopes, error tables, local dates and option reading. Generic on purpose (no
platform facts here: each source's paths, fields, codes and replies stay in its folder).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl

from app.core.clock import LOCAL_TZ
from app.core.money import yuan_to_fen
from app.core.sources.base import SourceError, SourceRejectedError


# ---------------------------------------------------------------------------- digests
def md5_hex(plaintext: str) -> str:
    return hashlib.md5(plaintext.encode("utf-8")).hexdigest()


def sha1_hex(plaintext: str) -> str:
    return hashlib.sha1(plaintext.encode("utf-8")).hexdigest()


def sha256_hex(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def digest_equal(got: str, expected: str) -> bool:
    """Constant-time, case-insensitive (platforms disagree on hex case)."""
    return hmac.compare_digest(got.strip().lower().encode(), expected.strip().lower().encode())


# ---------------------------------------------------------------------------- values
def text_id(value: object) -> str:
    """An order id as text. A float would already have lost digits (19-digit ids), so
    it is refused rather than silently rounded."""
    if isinstance(value, (bool, float)):
        raise ValueError(f"id must be an integer or text, got {value!r}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ValueError(f"missing id: {value!r}")


def int_or_none(value: object) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, (int, str, float)):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def fen_or_none(yuan: object) -> int | None:
    """Yuan (float, int or text) to fen, half-up; None when the platform sent nothing."""
    if yuan is None or yuan == "":
        return None
    return yuan_to_fen(yuan)


def maybe_json(value: object) -> Any:
    """Platforms send sub-documents as JSON strings; accept either form."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        return json.loads(text)
    return value


def dumps_compact(value: object) -> str:
    """The one JSON form we sign and send (signature plaintexts must match the wire)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# ---------------------------------------------------------------------------- envelopes
def form_fields(body: bytes) -> dict[str, str]:
    """A form-encoded body, decoded once (blank values kept: they are signed)."""
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def json_body(body: bytes) -> dict[str, Any]:
    data = json.loads(body.decode("utf-8") or "{}")
    if not isinstance(data, dict):
        raise ValueError("push body is not a JSON object")
    return data


def reply_json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ---------------------------------------------------------------------------- answers
def answer_doc(
    source: str, body: bytes, *, empty_is_object: bool = True, strict: bool = False
) -> dict[str, Any]:
    """A platform's JSON answer as an object. Not JSON (or, ``empty_is_object`` False,
    an empty body) is ``SourceRejectedError``; a JSON value that is not an object is
    refused too when ``strict``, else read as ``{}``."""
    try:
        text = body.decode("utf-8")
        doc = json.loads(text or "{}" if empty_is_object else text)
    except (UnicodeDecodeError, ValueError):
        raise SourceRejectedError(source, "answer is not JSON") from None
    if isinstance(doc, dict):
        return doc
    if strict:
        raise SourceRejectedError(source, "answer is not an object")
    return {}


@dataclass(frozen=True, slots=True)
class ErrorRule:
    """One line of a source's error table: a platform code in ``codes``, or one of
    ``words`` (lower case) in the message, means ``kind``; ``fallback`` is the message
    when the platform sent none."""

    kind: type[SourceError]
    codes: Collection[int | str] = ()
    words: tuple[str, ...] = ()
    fallback: str = ""


def error_from(
    source: str,
    table: Sequence[ErrorRule],
    code: int | str | None,
    message: str,
    *,
    fallback: str = "",
) -> SourceError:
    """The first rule of ``table`` that matches, else ``SourceRejectedError``."""
    text = message.lower()
    for rule in table:
        if code in rule.codes or any(w in text for w in rule.words):
            return rule.kind(source, message or rule.fallback or fallback, code=code)
    return SourceRejectedError(source, message or fallback, code=code)


# ---------------------------------------------------------------------------- time
def local_date(moment: datetime) -> date:
    """The platform's business day (Asia/Shanghai) for an aware UTC time."""
    return moment.astimezone(LOCAL_TZ).date()


def yyyymmdd(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def parse_local(text: object) -> datetime | None:
    """'2026-12-01T12:00:00' in GMT+8 (no zone on the wire) to an aware time."""
    if not isinstance(text, str) or not text.strip():
        return None
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment


# ---------------------------------------------------------------------------- options
def read_options(defaults: Mapping[str, object], given: Mapping[str, object]) -> dict[str, object]:
    """Defaults overlaid by known keys of ``given``, coerced to each default's type."""
    out = dict(defaults)
    for key, value in given.items():
        if key in defaults:
            out[key] = _coerce(defaults[key], value)
    return out


def _coerce(default: object, value: object) -> object:
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(str(value))
    if isinstance(default, float):
        return float(str(value))
    if isinstance(default, str):
        return str(value)
    return value
