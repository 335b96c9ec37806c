"""The carrier kit: envelope, error, value and option helpers every integration shares.

Nothing here knows a carrier. A carrier's ``codes.py`` holds an ``ErrorTable`` (its
facts) and its ``mapping.py`` calls ``unwrap_envelope`` with its own field names; the
``AdapterBase`` gives each adapter one way to put a signed request on the wire. Order
sources reuse the same pieces (they are neutral on purpose: no carrier import here).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from app.core.carriers.base import (
    AuthError,
    CallbackRejected,
    CarrierError,
    InsufficientBalanceError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    RiderPosition,
    UnavailableError,
)
from app.core.domain import DeliveryAttempt
from app.core.money import yuan_to_fen

if TYPE_CHECKING:
    from app.core.carriers.base import CarrierContext
    from app.core.carriers.http import HttpResponse

log = logging.getLogger(__name__)
JsonObj = dict[str, Any]
T = TypeVar("T")
OptionsT = TypeVar("OptionsT")

# the kinds an error answer can be; the order is the precedence when a code or a
# message keyword matches more than one
KINDS: tuple[str, ...] = (
    "auth",
    "rate_limit",
    "balance",
    "duplicate",
    "not_found",
    "state",
    "invalid",
    "quote_expired",
)

_CLASS_OF: dict[str, type[CarrierError]] = {
    "auth": AuthError,
    "rate_limit": RateLimitedError,
    "balance": InsufficientBalanceError,
    "not_found": NotFoundError,
}


# ---------------------------------------------------------------------------- errors
@dataclass(frozen=True, slots=True)
class ErrorTable:
    """One integration's error facts: codes per kind, message keywords per kind.

    ``codes`` are compared as text, so ``2003`` and ``"2003"`` are the same code.
    ``replace_on_override``: configured codes replace a kind's codes (True) or add to
    them (False). ``code_as_text``: the raised error carries the code as a string.
    """

    carrier: str
    codes: Mapping[str, Collection[object]]
    words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    classes: Mapping[str, type[CarrierError]] = field(default_factory=dict)
    default_messages: Mapping[str, str] = field(default_factory=dict)
    default_message: str = "rejected"
    order: tuple[str, ...] = KINDS
    replace_on_override: bool = True
    code_as_text: bool = False

    def with_overrides(self, overrides: Mapping[str, object] | None) -> ErrorTable:
        """The table with configured codes (``{"auth": [..], ...}``) applied."""
        if not overrides:
            return self
        merged: dict[str, tuple[object, ...]] = {k: tuple(v) for k, v in self.codes.items()}
        for kind, extra in overrides.items():
            added = tuple(extra) if isinstance(extra, Collection) else (extra,)
            merged[kind] = added if self.replace_on_override else (*merged.get(kind, ()), *added)
        return replace(self, codes=merged)

    def first_code(self, kind: str) -> object:
        return next(iter(self.codes[kind]))

    def classify(self, code: object, msg: str) -> str:
        """Which kind an answer is: by code first, then by message keyword."""
        key = str(code).strip()
        kinds = [*self.order, *(k for k in self.codes if k not in self.order)]
        for kind in kinds:
            if key in {str(c) for c in self.codes.get(kind, ())}:
                return kind
        low = (msg or "").lower()
        for kind in kinds:
            if any(w.lower() in low for w in self.words.get(kind, ())):
                return kind
        return "other"


def error_for(
    table: ErrorTable, code: object, msg: str, overrides: Mapping[str, object] | None = None
) -> CarrierError:
    """The CarrierError for a non-success answer ``code``/``msg``."""
    t = table.with_overrides(overrides)
    kind = t.classify(code, msg)
    text = msg or t.default_messages.get(kind, t.default_message)
    cls = t.classes.get(kind) or _CLASS_OF.get(kind, RejectedError)
    shown: str | int | None = _code_value(code, as_text=t.code_as_text)
    return cls(t.carrier, text, code=shown)


def is_duplicate(
    table: ErrorTable, err: CarrierError, overrides: Mapping[str, object] | None = None
) -> bool:
    """Whether ``err`` says "that order already exists" (resolve it by query)."""
    t = table.with_overrides(overrides)
    return isinstance(err, RejectedError) and t.classify(err.code, err.message) == "duplicate"


def _code_value(code: object, *, as_text: bool) -> str | int | None:
    if as_text:
        return str(code)
    if code is None or isinstance(code, (str, int)):
        return code
    return str(code)


# ---------------------------------------------------------------------------- envelope
def unreadable(carrier: str, *, mutating: bool, what: str = "malformed answer") -> CarrierError:
    """An answer we cannot read: it may have acted (mutating) or simply failed (read)."""
    kind = OutcomeUnknownError if mutating else UnavailableError
    return kind(carrier, what)


def read_json_object(body: bytes, carrier: str, *, mutating: bool, required: str) -> JsonObj:
    """``body`` as a JSON object holding ``required``, or the unreadable error."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        doc = None
    if not isinstance(doc, dict) or required not in doc:
        raise unreadable(carrier, mutating=mutating)
    return doc


def unwrap_envelope(
    body: bytes,
    table: ErrorTable,
    *,
    code_key: str,
    msg_key: str,
    data_key: str,
    mutating: bool,
    success: Collection[object] = (0,),
    overrides: Mapping[str, object] | None = None,
    nested_json: bool = False,
) -> Any:
    """The data of a success envelope, or the CarrierError its code and message mean.

    Unreadable (not JSON, no code field, a nested JSON string that does not parse) is
    ``OutcomeUnknownError`` when the call mutated and ``UnavailableError`` otherwise.
    ``nested_json``: the data field may itself be a JSON string (empty = ``{}``).
    """
    doc = read_json_object(body, table.carrier, mutating=mutating, required=code_key)
    code = doc.get(code_key)
    if str(code).strip() not in {str(s) for s in success}:
        raise error_for(table, code, str(doc.get(msg_key) or ""), overrides)
    data = doc.get(data_key)
    if nested_json and isinstance(data, str):
        try:
            data = json.loads(data) if data.strip() else {}
        except ValueError:
            raise unreadable(table.carrier, mutating=mutating) from None
    return data


def as_object(data: object) -> JsonObj:
    """``data`` when it is a JSON object, else ``{}`` (answers that carry nothing)."""
    return data if isinstance(data, dict) else {}


# ---------------------------------------------------------------------------- values
def to_int(value: object, default: int | None = None) -> int | None:
    """An integer from a wire value (number or numeric text); ``default`` otherwise."""
    if value is None or value == "" or isinstance(value, bool):
        return default
    try:
        return int(value) if isinstance(value, (int, float)) else int(str(value).strip())
    except (OverflowError, ValueError):
        return default


def int_or(value: object, default: int = 0) -> int:
    """``to_int`` for fields where absent means a known number (usually 0)."""
    num = to_int(value)
    return default if num is None else num


def fen_from_yuan(value: object) -> int | None:
    """Yuan on the wire (number or text) -> fen, half-up; None when absent."""
    return None if value is None or value == "" else yuan_to_fen(value)


def fen_from_fen(value: object) -> int | None:
    """Fen on the wire (number or text) -> int fen; None when absent."""
    return to_int(value)


# ---------------------------------------------------------------------------- options
def load_options(cls: type[T], given: Mapping[str, object]) -> T:
    """A typed options dataclass from configured values (unknown keys are ignored).

    Each value is coerced to the type of the field's default, so ``"30"`` from a TOML
    string still becomes ``30``; fields with a mapping/tuple default keep the value.
    """
    base: Any = cls()  # every options field has a default: the documented value
    kwargs = {
        f.name: _coerce(given[f.name], getattr(base, f.name))
        for f in fields(base)
        if f.name in given
    }
    return cls(**kwargs)


def _coerce(value: object, default: object) -> object:
    if isinstance(default, bool):
        return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
    if isinstance(default, int):
        return int(str(value).strip()) if not isinstance(value, int) else value
    if isinstance(default, float):
        return float(str(value))
    if isinstance(default, str):
        return str(value)
    if isinstance(default, tuple):
        return tuple(value) if isinstance(value, Collection) else (value,)
    return value


# ---------------------------------------------------------------------------- callbacks
def open_callback(body: bytes, inner: str, what: str) -> tuple[dict[str, Any], str, Any]:
    """A JSON callback envelope whose ``inner`` field carries JSON text: the envelope,
    that text (what the carrier signs) and its decoded value; anything else is a 400."""
    try:
        env = json.loads(body)
        text = env[inner]
        return env, text, json.loads(text)
    except (ValueError, KeyError, TypeError):
        raise CallbackRejected(f"not a {what} callback", 400) from None


def check_callback(
    env: Mapping[str, Any],
    id_key: str,
    our_id: str | None,
    *,
    signed: tuple[str, str] | None,
    sig_name: str = "signature",
) -> None:
    """Refuse a callback addressed to another account (``env[id_key]`` is not ``our_id``)
    or, when ``signed`` is ``(expected, received)``, one whose signature differs."""
    if str(env.get(id_key, "")) != our_id:
        raise CallbackRejected(f"callback for another {id_key}")
    if signed is not None and not hmac.compare_digest(*signed):
        raise CallbackRejected(f"bad callback {sig_name}")


# ---------------------------------------------------------------------------- adapters
@dataclass(frozen=True, slots=True)
class Wire:
    """The exact request for one call: path below the base URL, bytes and headers."""

    path: str
    content: bytes
    content_type: str
    headers: dict[str, str] | None = None
    params: dict[str, str] | None = None


Unwrap = Callable[["HttpResponse", bool], Any]
# Where a rehearsal sandbox should push callbacks; real gateways take the URL from their
# console and ignore the header.
SANDBOX_CALLBACK_HEADER = "X-Sandbox-Callback-Url"
_MALFORMED = (ValueError, TypeError, AttributeError, KeyError)


def guarded(carrier: str, op: str, read: Callable[[bytes, bool], Any]) -> Unwrap:
    """An ``Unwrap`` for gateways that answer 401/403 to bad credentials and whose
    parsers may trip on a malformed body: both become CarrierErrors, never a crash."""

    def unwrap(resp: HttpResponse, mutating: bool) -> Any:
        if resp.status in (401, 403):
            raise AuthError(carrier, f"HTTP {resp.status}", code=resp.status)
        try:
            return read(resp.body, mutating)
        except CarrierError:
            raise
        except _MALFORMED as e:
            what = f"malformed answer to {op} ({type(e).__name__})"
            raise unreadable(carrier, mutating=mutating, what=what) from None

    return unwrap


def body_unwrap(read: Callable[..., Any], **kw: Any) -> Unwrap:
    """An ``Unwrap`` for gateways whose answer is read from the body alone
    (``read(body, mutating=..., **kw)``, e.g. a carrier's ``mapping.unwrap``)."""

    def unwrap(resp: HttpResponse, mutating: bool) -> Any:
        return read(resp.body, mutating=mutating, **kw)

    return unwrap


class AdapterBase(Generic[OptionsT]):
    """What every adapter does the same way: hold the context and its typed options
    (``OPTIONS``, the carrier's options dataclass), send a ``Wire``."""

    id: str = ""
    OPTIONS: type[OptionsT]

    def __init__(self, ctx: CarrierContext) -> None:
        self.ctx = ctx
        self.opts: OptionsT = load_options(self.OPTIONS, ctx.options)
        self.creds: Mapping[str, str] = ctx.credentials

    def _required_creds(self, keys: Sequence[str]) -> dict[str, str]:
        """The credentials, refusing up front (``AuthError``) when one of ``keys`` is
        empty: a request signed with a blank secret only earns a vaguer error."""
        c = dict(self.creds)
        missing = [k for k in keys if not c.get(k)]
        if missing:
            raise AuthError(self.id, "missing credentials: " + ", ".join(missing))
        return c

    def _now(self) -> datetime:
        return self.ctx.clock.now()

    def _unix(self) -> int:
        return int(self.ctx.clock.now().timestamp())

    def _callback_headers(self) -> dict[str, str] | None:
        url = self.ctx.callback_url
        return {SANDBOX_CALLBACK_HEADER: url} if url else None

    async def _exchange(self, wire: Wire, *, mutating: bool, unwrap: Unwrap) -> Any:
        """POST ``wire`` through the shared client; ``unwrap`` reads the answer."""
        resp = await self.ctx.http.post(
            self.id,
            self.ctx.base_url.rstrip("/") + wire.path,
            content=wire.content,
            content_type=wire.content_type,
            headers=wire.headers,
            params=wire.params,
            mutating=mutating,
        )
        return unwrap(resp, mutating)

    async def _exchange_obj(
        self, wire: Wire, *, mutating: bool, unwrap: Unwrap, callback: bool = False
    ) -> JsonObj:
        """``_exchange`` for a gateway whose unwrap yields a JSON object; ``callback``
        adds the rehearsal sandbox's callback header (gateways that read it)."""
        if callback:
            wire = replace(wire, headers=self._callback_headers())
        result: JsonObj = await self._exchange(wire, mutating=mutating, unwrap=unwrap)
        return result

    async def _each_position(
        self,
        attempts: Sequence[DeliveryAttempt],
        fetch: Callable[[DeliveryAttempt], Awaitable[RiderPosition | None]],
        *,
        skip: tuple[type[CarrierError], ...] = (RejectedError,),
    ) -> list[RiderPosition]:
        """One position call per attempt (no batch endpoint); an attempt the carrier
        refuses with one of ``skip`` (no rider yet, order gone) is left out."""
        out: list[RiderPosition] = []
        for a in attempts:
            try:
                pos = await fetch(a)
            except skip as e:
                log.info("%s: no position for %s (%s)", self.id, a.idempotency_key, e.code)
                continue
            if pos is not None:
                out.append(pos)
        return out
