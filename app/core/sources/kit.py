"""Small pieces every source connector shares: digests, value helpers, answer and push
envelopes, error tables, local dates and option reading. Generic on purpose (no
platform facts here: each source's paths, fields, codes and replies stay in its folder).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl

from app.core.clock import LOCAL_TZ
from app.core.domain.source_order import SourceOrder
from app.core.money import yuan_to_fen
from app.core.sources.base import (
    PushEvent,
    PushKind,
    PushRejected,
    PushResult,
    SourceAuthError,
    SourceContext,
    SourceError,
    SourceNotFoundError,
    SourceRejectedError,
)
from app.core.sources.http import HttpResponse

log = logging.getLogger(__name__)


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


def degrees_or_none(value: object) -> float | None:
    """A coordinate in decimal degrees (number or text); missing, unreadable or 0 is None.
    The datum is the source's to state (most send GCJ-02)."""
    try:
        number = float(str(value))
    except ValueError:
        return None
    return number or None


def tail_number(order_id: str) -> int | None:
    """The last 4 digits of an order id as a display number (a JuPei choice where the
    platform has no day number); None when they are not 4 digits."""
    tail = order_id[-4:]
    return int(tail) if len(tail) == 4 and tail.isdigit() else None


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


def header(headers: Mapping[str, str], name: str) -> str:
    """A request header by name, whatever its case on the wire ("" when absent)."""
    low = name.lower()
    return next((v for k, v in headers.items() if k.lower() == low), "")


def check_kind(source: str, kind: str, kinds: Collection[str], reply: bytes) -> None:
    """A push to a path the source does not have is refused (404, the source's reply)."""
    if kind not in kinds:
        raise PushRejected(f"{source}: unknown push kind {kind!r}", 404, reply)


def push_json(source: str, body: bytes, reply: bytes, *, empty_ok: bool = False) -> dict[str, Any]:
    """A push's JSON object body (``{}`` for a blank one when ``empty_ok``); anything else
    is refused (400, the source's reply)."""
    if empty_ok and not body.strip():
        return {}
    try:
        return json_body(body)
    except ValueError:
        raise PushRejected(f"{source}: body is not JSON", 400, reply) from None


def heartbeat(reply: bytes) -> PushResult:
    """A verification or heartbeat push: answer ``reply``, store nothing."""
    return PushResult((PushEvent(PushKind.HEARTBEAT, ""),), 200, reply)


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


def split_list(value: object) -> tuple[str, ...]:
    """A comma-separated option (``"a, b,,c"``) as its non-blank parts."""
    return tuple(p.strip() for p in str(value).split(",") if p.strip())


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


# ---------------------------------------------------------------------------- connectors
OptionsT = TypeVar("OptionsT")


@dataclass(frozen=True, slots=True)
class Wire:
    """One signed request exactly as a source's ``mapping`` built it."""

    url: str
    body: bytes = b""
    content_type: str = ""
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "POST"


class ConnectorBase(Generic[OptionsT]):
    """What every connector holds and the one way it talks HTTP.

    A source's ``Connector`` subclasses it, sets ``id`` and ``rules`` and hands in its
    typed options; its own ``mapping`` module keeps the facts (paths, signing, fields).
    """

    id: str

    def __init__(self, ctx: SourceContext, opts: OptionsT) -> None:
        self.ctx = ctx
        self.opts = opts
        self.creds: dict[str, str] = dict(ctx.credentials)
        self.base = ctx.base_url

    def now(self) -> datetime:
        return self.ctx.clock.now()

    def unix_s(self) -> int:
        return int(self.ctx.clock.now().timestamp())

    async def send(
        self,
        url: str,
        *,
        mutating: bool,
        method: str = "POST",
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        content_type: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """One request through the shared client (its errors are ``SourceError``s)."""
        return await self.ctx.http.request(
            self.id,
            method,
            url,
            params=params,
            content=content,
            content_type=content_type,
            headers=headers,
            mutating=mutating,
        )

    async def exchange(self, wire: Wire, *, mutating: bool) -> bytes:
        """Send a built ``Wire``; the answer's body, for the source's ``unwrap``."""
        resp = await self.send(
            wire.url,
            method=wire.method,
            params=wire.query,
            content=wire.body,
            content_type=wire.content_type,
            headers=wire.headers,
            mutating=mutating,
        )
        return resp.body

    async def get_order(self, source_order_id: str) -> SourceOrder:
        raise NotImplementedError

    async def read_each(
        self, source_order_ids: Sequence[str], what: str = "order"
    ) -> list[SourceOrder]:
        """One ``get_order`` per id; an id the platform no longer knows is passed over."""
        out: list[SourceOrder] = []
        for oid in source_order_ids:
            try:
                out.append(await self.get_order(oid))
            except SourceNotFoundError:
                log.info("%s: open %s %s is unknown to the platform", self.id, what, oid)
        return out


class AccessToken:
    """A short-lived access token fetched on demand and shared by concurrent callers.

    ``fetch`` returns ``(token, valid_until)``; the token is renewed ``margin`` before
    that, or at once when ``get(renew=True)``."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[tuple[str, datetime]]],
        now: Callable[[], datetime],
        margin: timedelta,
    ) -> None:
        self._fetch = fetch
        self._now = now
        self._margin = margin
        self._token = ""
        self._until = now()
        self._lock = asyncio.Lock()

    async def get(self, *, renew: bool = False) -> str:
        async with self._lock:
            if not renew and self._token and self._now() < self._until:
                return self._token
            token, until = await self._fetch()
            self._token, self._until = token, until - self._margin
            return token

    async def retry_once(self, call: Callable[[str], Awaitable[Any]]) -> Any:
        """``call(token)``; an auth refusal renews the token once and tries again."""
        token = await self.get()
        try:
            return await call(token)
        except SourceAuthError:
            pass
        return await call(await self.get(renew=True))
