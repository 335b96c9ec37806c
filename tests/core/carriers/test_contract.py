"""Behaviours every carrier shares, run over the registry: how transport faults map to
the CarrierError tree, what each sandbox answers to a bad signature, a canned fault or
a create whose answer never came, and that each sandbox stays independent of its
adapter. A carrier's own file keeps only its worked examples and quirks."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import httpx
import pytest

from app.core.carriers.base import (
    AuthError,
    CarrierAdapter,
    InsufficientBalanceError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    UnavailableError,
)
from app.core.carriers.registry import CARRIER_IDS, CARRIERS, carrier
from app.core.config import Settings
from app.core.domain import DeliveryStatus, Quote
from app.core.sandbox.engine import Faults
from tests.core.carriers.kit import T0, attempt, make_order, mock_http
from tests.core.carriers.kit import adapter as make_adapter

SANDBOX_DIR = Path(__file__).parents[3] / "app" / "core" / "sandbox"
pytestmark = pytest.mark.parametrize("cid", CARRIER_IDS)


# ---------------------------------------------------------------------------- shape
def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_sandbox_does_not_borrow_the_adapter(cid):
    """A sandbox that signs with the adapter's code agrees with a wrong adapter."""
    own = re.compile(rf"^app\.core\.carriers\.{cid}(\.(api|mapping|codes|Adapter)\b|$)")
    borrowed = {m for m in _imports(SANDBOX_DIR / f"{cid}.py") if own.match(m)}
    assert borrowed == set()


def test_meta_is_complete(cid):
    meta = carrier(cid)
    assert meta.id == cid and meta.name("zh") and meta.name("en")
    assert re.fullmatch(r"#[0-9a-f]{6}", meta.colour)
    cols = meta.bill_columns
    assert cols.carrier_order_id and cols.origin_id and cols.amount and cols.unit in ("yuan", "fen")
    assert Settings().carriers.get(cid).enabled
    assert meta in CARRIERS


# ---------------------------------------------------------------------------- transport
def _quote(cid: str) -> Quote:
    return Quote(cid, 900, 1500, T0, binding=False, token="Q1")


async def _run_create(a: CarrierAdapter, cid: str) -> None:
    await a.create(make_order(), _quote(cid), attempt(cid, quote_token="Q1"))


def _adapter_on(cid: str, handler) -> CarrierAdapter:
    """The adapter on ``handler``; an OAuth token endpoint (Uber Direct) answers a
    token, so the fault hits the operation itself, not the token fetch before it."""

    def with_token(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/v2/token"):
            return httpx.Response(200, json={"access_token": "T", "expires_in": 2592000})
        return handler(request)

    return make_adapter(cid, mock_http(with_token))


@pytest.mark.asyncio
async def test_5xx_on_create_is_outcome_unknown_and_on_query_unavailable(cid):
    a = _adapter_on(cid, lambda r: httpx.Response(502, content=b"<html>502</html>"))
    with pytest.raises(OutcomeUnknownError):
        await _run_create(a, cid)
    with pytest.raises(UnavailableError):
        await a.query(attempt(cid, carrier_order_id="C1"))


@pytest.mark.asyncio
async def test_malformed_answer_read_unavailable_mutating_unknown(cid):
    a = _adapter_on(cid, lambda r: httpx.Response(200, content=b"<html>oops"))
    with pytest.raises(UnavailableError):
        await a.query(attempt(cid, carrier_order_id="C1"))
    with pytest.raises(OutcomeUnknownError):
        await _run_create(a, cid)


@pytest.mark.asyncio
async def test_hang_on_create_is_outcome_unknown_and_connect_error_unavailable(cid):
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(OutcomeUnknownError):
        await _run_create(_adapter_on(cid, hang), cid)
    with pytest.raises(UnavailableError):
        await _run_create(_adapter_on(cid, refused), cid)


@pytest.mark.asyncio
async def test_http_429_is_rate_limited(cid):
    a = _adapter_on(cid, lambda r: httpx.Response(429))
    with pytest.raises(RateLimitedError):
        await a.quote(make_order(), key="JP1001-1")


# ---------------------------------------------------------------------------- sandbox
@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_refuses_a_wrong_secret(cid, sandbox_world):
    rules = carrier(cid).rules
    creds = {**rules.rehearsal_credentials}
    for k in rules.secret_keys:
        creds[k] = creds[k] + "-wrong"
    world = await sandbox_world(cid, credentials=creds)
    with pytest.raises(AuthError):
        await world.adapter.quote(make_order(), key="JP1001-1")


# the code each gateway answers a request signed with a wrong secret (its own table)
BAD_SIGNATURE_CODE = {
    "dada": "2003",
    "shansong": "40001",
    "sf": "1003",
    "meituan": "7",
    "fengniao": "40002",
    "uupt": "-104",
    "doordash": "secret",  # "wrong" is not base64url: refused before any request
    "uber_direct": "invalid_client",  # the OAuth token endpoint refuses the secret
}


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_names_a_bad_signature(cid, sandbox_world):
    rules = carrier(cid).rules
    signing = rules.secret_keys[0]
    creds = {**rules.rehearsal_credentials, signing: "wrong"}
    world = await sandbox_world(cid, credentials=creds)
    with pytest.raises(AuthError) as ei:
        await world.adapter.quote(make_order(), key="JP1001-1")
    assert str(ei.value.code) == BAD_SIGNATURE_CODE[cid]


@pytest.mark.asyncio
@pytest.mark.integration
@pytest.mark.parametrize(
    ("faults", "error"),
    [
        (Faults(auth=True), AuthError),
        (Faults(rate_limit=1.0), RateLimitedError),
        (Faults(error_5xx=1.0), UnavailableError),
        (Faults(malformed=1.0), UnavailableError),
    ],
)
async def test_sandbox_faults_on_a_read(cid, sandbox_world, faults, error):
    world = await sandbox_world(cid)
    world.engine.set_faults(cid, faults)
    with pytest.raises(error):
        await world.adapter.quote(make_order(), key="JP1001-1")


@pytest.mark.asyncio
@pytest.mark.integration
@pytest.mark.parametrize(
    ("faults", "error"),
    [
        (Faults(insufficient_balance=True), InsufficientBalanceError),
        (Faults(rate_limit=1.0), RateLimitedError),
        (Faults(auth=True), AuthError),
    ],
)
async def test_sandbox_faults_on_create(cid, sandbox_world, faults, error):
    world = await sandbox_world(cid)
    order = make_order()
    q = await world.adapter.quote(order, key="JP1001-1")
    world.engine.set_faults(cid, faults)
    with pytest.raises(error):
        await world.adapter.create(order, q, attempt(cid, quote_token=q.token))
    made = world.engine.find(cid, "JP1001-1")
    if cid == "uupt" and error is InsufficientBalanceError:
        # UU makes the order and holds it for payment (orderUrl); the adapter cancels it
        assert made is not None and made.cancelled is not None
    else:
        assert made is None  # refused: nothing was made


async def _create_unknown_under(world, cid, faults, order, quote, att) -> None:
    """``create`` under ``faults`` must end OutcomeUnknown; the faults are then lifted
    so the caller's follow-up query sees the gateway's real state."""
    world.engine.set_faults(cid, faults)
    with pytest.raises(OutcomeUnknownError):
        await world.adapter.create(order, quote, att)
    world.engine.set_faults(cid, Faults())


async def _settle(world, cid, order, quote, att):
    """What the dispatcher's ``resolve`` does: query with the key, or, for a carrier
    that names an order only in its create answer and documents a resend as the same
    delivery (``resend_resolves``, 美团配送), re-send the create first."""
    if world.adapter.rules.has("resend_resolves") and not att.carrier_order_id:
        with pytest.raises(OutcomeUnknownError):  # it cannot be asked about it yet
            await world.adapter.query(att)
        res = await world.adapter.create(order, quote, att)
        att = att.with_(carrier_order_id=res.carrier_order_id)
    return await world.adapter.query(att)


@pytest.mark.asyncio
@pytest.mark.integration
async def test_5xx_on_create_then_query_says_it_was_never_made(cid, sandbox_world):
    world = await sandbox_world(cid)
    order = make_order()
    att = attempt(cid, "JP-5XX-1")
    resend = world.adapter.rules.has("resend_resolves")
    with pytest.raises(OutcomeUnknownError if resend else NotFoundError):
        await world.adapter.query(att)  # an unknown key is "not found", not an outage
    q = await world.adapter.quote(order, key="JP-5XX-1")
    att = att.with_(quote_token=q.token)
    await _create_unknown_under(world, cid, Faults(error_5xx=1.0), order, q, att)
    if resend:  # the resend makes the one delivery the first create did not
        snap = await _settle(world, cid, order, q, att)
        assert snap.status is DeliveryStatus.PENDING_ACCEPT
        assert len(world.engine.orders[cid]) == 1
        return
    with pytest.raises(NotFoundError):
        await world.adapter.query(att)


@pytest.mark.asyncio
@pytest.mark.integration
async def test_create_whose_answer_never_came_is_resolved_by_query(cid, sandbox_world):
    world = await sandbox_world(cid, timeout_s=0.5)
    order = make_order()
    q = await world.adapter.quote(order, key="JP-HANG-1")
    att = attempt(cid, "JP-HANG-1", quote_token=q.token)
    await _create_unknown_under(world, cid, Faults(hang_after_create=True), order, q, att)
    snap = await _settle(world, cid, order, q, att)
    assert snap.status is DeliveryStatus.PENDING_ACCEPT and snap.carrier_order_id
    assert len(world.engine.orders[cid]) == 1  # the same delivery, never a second
    if world.adapter.rules.has("resend_resolves"):
        return  # nothing to ask without the create's answer (see above)
    hung = attempt(cid, "JP-HANG-2")  # no answer at all, nothing made
    await _create_unknown_under(world, cid, Faults(hang=True), make_order(), q, hung)
    with pytest.raises(NotFoundError):
        await world.adapter.query(hung)


@pytest.mark.asyncio
@pytest.mark.integration
async def test_duplicate_create_is_resolved_by_query(cid, sandbox_world):
    world = await sandbox_world(cid)
    order = make_order()
    q = await world.adapter.quote(order, key="JP-DUP-1")
    att = attempt(cid, "JP-DUP-1", quote_token=q.token)
    first = await world.adapter.create(order, q, att)
    again = await world.adapter.create(order, q, att)
    assert again.carrier_order_id == first.carrier_order_id != ""
    assert len(world.engine.orders[cid]) == 1
