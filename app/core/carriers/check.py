"""The first-day live check (``python -m app carrier-check CARRIER [--live]``).

With the merchant's credentials (read as the gateway reads them: settings, keyring, env
override) it makes only safe calls — a quote for a small order 1.5 km from the store —
and compares the carrier's raw answer with what the adapter expects: the fields it reads
are present, money and distance are plausible for the unit the adapter assumes, the
answer's code was one the adapter knows as success. When a call is refused or a field is
missing it retries with the other value of each disputed option (the ``[~]/[?]`` facts,
``Options`` of the carrier) and names the one that works. A create happens only with
``create_test_order`` and only against the carrier's test host (or the sandbox); it is
queried and cancelled at once (美团配送: also queried by ``delivery_id`` alone, which
settles ``query_by_delivery_id``). A fact only a callback shows (蜂鸟's callback signing)
gets a line saying it cannot be checked from the counter.

Without ``live`` it runs against the built-in sandbox, which can play the disputed
variant of a fact (``SandboxEngine.set_variants``), so tests prove the check notices.
Report lines are Chinese and English (``CheckReport.render(lang)``). No Qt here.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Protocol, TypeVar, runtime_checkable

from app.core.carriers.base import CarrierAdapter, CarrierContext, CarrierError
from app.core.carriers.gateway import credentials_for, store_from_settings
from app.core.carriers.http import CarrierHttp, HttpResponse
from app.core.carriers.registry import build_adapter, display_name, rules
from app.core.clock import Clock, SystemClock
from app.core.config import Settings
from app.core.domain import DeliveryAttempt, DeliveryStatus, Quote
from app.core.money import fmt_yuan
from app.core.pos.sim import test_order
from app.core.secrets import SecretStore

log = logging.getLogger(__name__)
T = TypeVar("T")

# a 1.5 km test order: anything outside this is a unit read wrongly (yuan as fen ...)
FEE_RANGE_FEN = (100, 50_000)
DISTANCE_RANGE_M = (200, 15_000)

# The fields of the quote answer each adapter reads: groups of accepted names (any one
# present is enough). A callable gets the adapter's options, for option-named fields.
Expect = tuple[str, tuple[str, ...]]  # (what, names)
QUOTE_FIELDS: Mapping[str, Callable[[Any], tuple[Expect, ...]]] = {
    "dada": lambda o: (("fee", ("fee", "deliverFee")), ("distance", ("distance",))),
    "shansong": lambda o: (
        ("fee", ("totalFeeAfterSave", "totalAmount")),
        ("order number", ("orderNumber",)),
        ("distance", ("totalDistance",)),
    ),
    "sf": lambda o: (
        ("fee", ("real_pay_money", "total_pay_money", "total_price", "charge_price_list")),
        ("distance", ("delivery_distance_meter",)),
    ),
    "meituan": lambda o: (("fee", ("delivery_fee",)), ("distance", ("delivery_distance",))),
    "fengniao": lambda o: (("goods", ("goods_infos",)), ("distance", ("distance",))),
    "uupt": lambda o: (
        ("priceToken", ("priceToken",)),
        ("fee", (o.fee_field,)),
        ("distance", ("distance",)),
    ),
    "doordash": lambda o: (
        ("fee", ("fee",)),
        ("currency", ("currency",)),
        ("external_delivery_id", ("external_delivery_id",)),
    ),
    "uber_direct": lambda o: (
        ("quote id", ("id",)),
        ("fee", ("fee",)),
        ("currency", ("currency",)),
        ("expires", ("expires",)),
    ),
}

# A missing field that another option value would read: carrier -> option -> the field
# each value reads (the check names the value whose field is in the answer).
FIELD_OPTIONS: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "uupt": {"fee_field": {"needPayMoney": "needPayMoney", "totalMoney": "totalMoney"}},
}

# Disputed options tried, value by value, when the quote call is refused (ASSUMED facts
# of the carrier notes). Options a carrier does not have are skipped, so a probe for a
# knob another change adds later costs nothing until it exists.
PROBES: Mapping[str, Mapping[str, tuple[object, ...]]] = {
    "uupt": {"timestamp_unit": ("s", "ms"), "field_style": ("snake", "camel")},
    "dada": {"sign_empty_body": (True, False)},
    "doordash": {"secret_decoding": ("base64url", "raw")},  # HMAC key [L]
    "uber_direct": {"address_format": ("line", "structured")},  # one-line accepted [?]
}


# Names a status answer may use for the same thing, which the adapter reads either way
# (told so the merchant's first day settles the fact): carrier -> (name, spellings).
SPELLINGS: Mapping[str, tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]] = {
    "sf": (("order ids", (("order_id", "out_order_id"), ("sf_order_id", "shop_order_id"))),),
}


# Disputed facts only a carrier-initiated callback shows (no safe call can ask): the
# report says so instead of skipping silently. carrier -> the option concerned.
CALLBACK_ONLY: Mapping[str, str] = {"fengniao": "callback_sign_keys"}

# Carriers whose status query may also work without the carrier's order id, by our own
# ids (美团配送 ``order/status/query`` by ``delivery_id`` + ``order_id``): the option.
QUERY_WITHOUT_ID: Mapping[str, str] = {"meituan": "query_by_delivery_id"}


@runtime_checkable
class CityList(Protocol):
    """An adapter with a city list (Dada ``/api/cityCode/list``): a safe first call."""

    async def city_codes(self) -> dict[str, str]: ...


# ---------------------------------------------------------------------------- report
@dataclass(frozen=True, slots=True)
class CheckLine:
    step: str
    ok: bool | None  # None: skipped / informational
    zh: str
    en: str
    option: str = ""  # "[carriers.uupt.options] timestamp_unit = \"ms\""

    def text(self, lang: str) -> str:
        mark = {True: "✓", False: "✗", None: "-"}[self.ok]
        body = self.zh if lang.startswith("zh") else self.en
        out = f"{mark} {self.step}: {body}"
        if self.option:
            out += ("  → 改设置 " if lang.startswith("zh") else "  → change ") + self.option
        return out


@dataclass
class CheckReport:
    carrier: str
    live: bool
    base_url: str
    lines: list[CheckLine] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return all(line.ok is not False for line in self.lines)

    @property
    def options_to_change(self) -> list[str]:
        return [line.option for line in self.lines if line.option]

    def add(self, step: str, ok: bool | None, zh: str, en: str, option: str = "") -> None:
        self.lines.append(CheckLine(step, ok, zh, en, option))

    def render(self, lang: str = "zh_CN") -> str:
        zh = lang.startswith("zh")
        name = display_name(self.carrier, "zh" if zh else "en")
        where = ("真实接口" if zh else "live") if self.live else ("内置沙箱" if zh else "sandbox")
        head = f"{name} ({self.carrier}) — {where} {self.base_url}"
        bad = sum(1 for line in self.lines if line.ok is False)
        if zh:
            tail = "结果：全部一致" if not bad else f"结果：{bad} 项不一致"
        else:
            tail = "Result: all matched" if not bad else f"Result: {bad} not matched"
        todo = self.options_to_change
        if todo:
            tail += ("；要改：" if zh else "; to change: ") + "; ".join(todo)
        return "\n".join([head, *(line.text(lang) for line in self.lines), tail])


def option_line(carrier_id: str, name: str, value: object) -> str:
    return f"[carriers.{carrier_id}.options] {name} = {json.dumps(value, ensure_ascii=False)}"


# ---------------------------------------------------------------------------- recording
class RecordingHttp(CarrierHttp):
    """The shared client that keeps every answer, for the check to read the raw fields."""

    def __init__(self) -> None:
        super().__init__(timeout_s=10.0, connect_timeout_s=3.0)
        self.answers: list[tuple[str, HttpResponse]] = []

    async def post(self, carrier: str, url: str, **kw: Any) -> HttpResponse:
        resp = await super().post(carrier, url, **kw)
        self.answers.append((url, resp))
        return resp

    async def call(self, carrier: str, method: str, url: str, **kw: Any) -> HttpResponse:
        resp = await super().call(carrier, method, url, **kw)  # REST gateways (DoorDash)
        self.answers.append((url, resp))
        return resp


def _walk(obj: object) -> Iterator[tuple[str, object]]:
    """Every key of a JSON answer at any depth, also inside JSON-in-a-string fields."""
    if isinstance(obj, str) and obj[:1] in "{[":
        try:
            obj = json.loads(obj)
        except ValueError:
            return
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            yield str(k), v
            yield from _walk(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v)


def answer_keys(resp: HttpResponse) -> set[str]:
    try:
        doc = json.loads(resp.body)
    except ValueError:
        return set()
    return {k for k, _ in _walk(doc)}


# ---------------------------------------------------------------------------- the check
Progress = Callable[[str], None]


@dataclass
class _Run:
    cid: str
    settings: Settings
    base_url: str
    creds: Mapping[str, str]
    http: RecordingHttp
    clock: Clock
    report: CheckReport
    progress: Progress

    def adapter(self, **override: object) -> CarrierAdapter:
        cs = self.settings.carriers.get(self.cid)
        ctx = CarrierContext(
            carrier=self.cid,
            base_url=self.base_url.rstrip("/"),
            credentials=dict(self.creds),
            store=store_from_settings(self.settings),
            http=self.http,
            clock=self.clock,
            options={**cs.options, **override},
        )
        return build_adapter(ctx)

    def options(self) -> Any:
        return getattr(self.adapter(), "opts", None)

    async def quote(self, **override: object) -> Quote:
        order = test_order(self.settings.store, self.clock.now())
        return await self.adapter(**override).quote(order)


async def run_check(
    carrier_id: str,
    settings: Settings,
    secrets: SecretStore,
    *,
    live: bool = False,
    create_test_order: bool = False,
    sandbox_url: str | None = None,
    clock: Clock | None = None,
    progress: Progress | None = None,
) -> CheckReport:
    """Check ``carrier_id``: against ``sandbox_url`` (or a sandbox started here) unless
    ``live``, then against ``[carriers.<id>] base_url`` or the production host."""
    r = rules(carrier_id)  # KeyError for an unknown carrier
    say = progress or (lambda _step: None)
    server = None
    if live:
        base = settings.carriers.get(carrier_id).base_url or r.production_base_url
        creds: Mapping[str, str] = credentials_for(carrier_id, settings, secrets)
    else:
        if sandbox_url is None:
            from app.core.sandbox.server import SandboxServer

            server = SandboxServer(carriers=(carrier_id,), push_callbacks=False)
            await server.start()
            sandbox_url = server.base_url
        base, creds = f"{sandbox_url}/{carrier_id}", dict(r.rehearsal_credentials)
    http = RecordingHttp()
    run = _Run(
        carrier_id, settings, base, creds, http, clock or SystemClock(),
        CheckReport(carrier_id, live, base), say,
    )  # fmt: skip
    try:
        await _check(
            run, create_test_order=create_test_order, test_host=not live or _is_test(r, base)
        )
    finally:
        await http.aclose()
        if server is not None:
            await server.stop()
    return run.report


def _is_test(r: Any, base: str) -> bool:
    """The carrier's test host. A carrier whose test and production share one host
    (DoorDash: the key decides) has none we can tell from the URL: never a test host."""
    test, prod = r.sandbox_base_url.rstrip("/"), r.production_base_url.rstrip("/")
    return bool(test) and test != prod and base.rstrip("/") == test


async def _check(run: _Run, *, create_test_order: bool, test_host: bool) -> None:
    rep, r = run.report, rules(run.cid)
    missing = [k for k in r.credential_keys if not run.creds.get(k)]
    if missing:
        rep.add(
            "credentials", False, "缺少凭据：" + ", ".join(missing),
            "missing credentials: " + ", ".join(missing),
        )  # fmt: skip
        return
    rep.add("credentials", True, "凭据齐全", "credentials present")
    if isinstance(run.adapter(), CityList):
        run.progress("cities")
        await _check_cities(run)
    run.progress("quote")
    quote = await _check_quote(run)
    if run.cid in CALLBACK_ONLY:
        run.report.add(
            "callback", None, "回调签名无法在柜台检查（" + CALLBACK_ONLY[run.cid] + "）",
            "callback signing cannot be checked from the counter (" + CALLBACK_ONLY[run.cid] + ")",
        )  # fmt: skip
    if quote is None:
        return
    if not create_test_order:
        rep.add(
            "create", None, "未下单（加 --create-test-order 在测试环境下一单）",
            "no order created (--create-test-order places one on the test host)",
        )  # fmt: skip
        return
    if not test_host:
        rep.add(
            "create", None, "拒绝下单：接口地址不是测试环境 " + r.sandbox_base_url,
            "refused to create: the base URL is not the test host " + r.sandbox_base_url,
        )  # fmt: skip
        return
    run.progress("create")
    await _check_create(run)


async def _check_cities(run: _Run) -> None:
    """The carrier's city list names the store's city with the code in ``[store]``."""
    rep, store = run.report, run.settings.store
    try:
        codes = await _city_call(run)()
    except CarrierError as e:
        rep.add("city list", False, f"城市列表被拒：{e.message}", f"city list refused: {e.message}")
        await _probe(run, run.options(), _city_call(run), ("城市列表", "the city list"))
        return
    city = store.city.split("市")[0] if "市" in store.city else store.city
    code = codes.get(city) or codes.get(store.city)
    if code is None:
        rep.add(
            "city list", False, f"城市列表（{len(codes)} 个）没有 {store.city}",
            f"the city list ({len(codes)}) lacks {store.city}",
        )  # fmt: skip
    elif code == store.city_code:
        rep.add(
            "city list", True, f"{city} 城市代码 {code} 一致", f"{city} city code {code} matches"
        )
    else:
        rep.add(
            "city list", False, f"{city} 的城市代码是 {code}，设置里是 {store.city_code!r}",
            f"{city}'s city code is {code}, the settings say {store.city_code!r}",
            f"[store] city_code = {json.dumps(code)}",
        )  # fmt: skip


def _city_call(run: _Run) -> Callable[..., Awaitable[dict[str, str]]]:
    async def call(**override: object) -> dict[str, str]:
        adapter = run.adapter(**override)
        assert isinstance(adapter, CityList)
        return await adapter.city_codes()

    return call


async def _check_quote(run: _Run) -> Quote | None:
    rep, cid = run.report, run.cid
    opts = run.options()
    try:
        quote = await run.quote()
    except CarrierError as e:
        rep.add("quote", False, f"询价被拒：{e.message}", f"quote refused: {e.message}")
        await _probe(run, opts, run.quote, ("询价", "the quote"))
        return None
    rep.add(
        "quote", True, f"询价成功 {fmt_yuan(quote.fee_fen)}", f"quote {fmt_yuan(quote.fee_fen)}"
    )
    _check_fields(run, opts)
    lo, hi = FEE_RANGE_FEN
    if lo <= quote.fee_fen <= hi:
        rep.add("fee unit", True, "运费金额合理（分）", "fee plausible (fen)")
    else:
        rep.add(
            "fee unit", False,
            f"1.5 公里运费 {quote.fee_fen} 分不合理：单位可能读错（元/分）",
            f"a 1.5 km fee of {quote.fee_fen} fen is implausible: unit read wrongly (yuan/fen)?",
        )  # fmt: skip
    dlo, dhi = DISTANCE_RANGE_M
    if not quote.distance_m:
        rep.add("distance", None, "未返回距离", "no distance in the answer")
    elif dlo <= quote.distance_m <= dhi:
        rep.add(
            "distance", True, f"距离 {quote.distance_m} 米合理", f"distance {quote.distance_m} m"
        )
    else:
        rep.add(
            "distance", False, f"距离 {quote.distance_m} 米不合理（米/公里？）",
            f"distance {quote.distance_m} m implausible (m/km?)",
        )  # fmt: skip
    if cid == "uupt":  # the other field style must not be the one UU answers in
        _check_style(run)
    return quote


def _check_fields(run: _Run, opts: Any) -> None:
    rep, cid = run.report, run.cid
    if not run.http.answers or cid not in QUOTE_FIELDS:
        return
    keys = answer_keys(run.http.answers[-1][1])
    for what, names in QUOTE_FIELDS[cid](opts):
        if any(n in keys for n in names):
            rep.add(f"field {what}", True, "字段 " + "/".join(names), "field " + "/".join(names))
            continue
        hint = ""
        for opt, by_value in FIELD_OPTIONS.get(cid, {}).items():
            for value, name in by_value.items():
                if name in keys and name not in names:
                    hint = option_line(cid, opt, value)
        rep.add(
            f"field {what}", False, "答复缺少字段 " + "/".join(names),
            "answer lacks field " + "/".join(names), hint,
        )  # fmt: skip


def _check_style(run: _Run) -> None:
    """Tell which field style UU answers in (snake_case like UU's own tools, or
    camelCase): the adapter reads either, the merchant's first day settles the fact;
    which style UU *accepts* in requests is what a refusal's probe finds."""
    keys = answer_keys(run.http.answers[-1][1]) if run.http.answers else set()
    fields_ = keys - {"code", "msg", "body", "biz"}
    snake = sorted(k for k in fields_ if "_" in k and k.lower() == k)
    camel = sorted(k for k in fields_ if k != k.lower() and "_" not in k)
    styles = [
        f"{name} ({', '.join(ks[:3])})"
        for name, ks in (("snake_case", snake), ("camelCase", camel))
        if ks
    ]
    if styles:
        run.report.add(
            "field style", None, "答复用 " + "；".join(styles),
            "the answer uses " + "; ".join(styles),
        )  # fmt: skip


async def _probe(
    run: _Run, opts: Any, call: Callable[..., Awaitable[T]], what: tuple[str, str]
) -> tuple[dict[str, object], T] | None:
    """``call`` was refused: try it with the other value of each disputed option; the
    first that works is reported with the option line, and returned."""
    rep, cid = run.report, run.cid
    known = {f.name for f in fields(opts)} if opts is not None else set()
    for name, values in PROBES.get(cid, {}).items():
        if name not in known:
            continue
        for value in values:
            if value == getattr(opts, name):
                continue
            run.progress(f"probe {name}={value}")
            try:
                result = await call(**{name: value})
            except CarrierError:
                continue
            rep.add(
                f"option {name}", False, f"{name} = {value!r} 时{what[0]}成功",
                f"{what[1]} works with {name} = {value!r}", option_line(cid, name, value),
            )  # fmt: skip
            return {name: value}, result
    rep.add(
        "options", None, "换用各可选值仍被拒：检查凭据和接口地址",
        "no option value makes it work: check credentials and base URL",
    )  # fmt: skip
    return None


def _spelling(run: _Run) -> None:
    keys = answer_keys(run.http.answers[-1][1]) if run.http.answers else set()
    for what, styles in SPELLINGS.get(run.cid, ()):
        seen = ["/".join(style) for style in styles if all(k in keys for k in style)]
        if seen:
            run.report.add(
                what, True, "答复用 " + ", ".join(seen) + "（两种都读）",
                "the answer names " + ", ".join(seen) + " (both are read)",
            )  # fmt: skip


async def _check_create(run: _Run) -> None:
    rep = run.report
    now: datetime = run.clock.now()
    order = test_order(run.settings.store, now)
    tries = iter(range(1, 100))

    async def create(**override: object) -> tuple[CarrierAdapter, DeliveryAttempt]:
        adapter = run.adapter(**override)
        # unique per run and try: a key the carrier has seen resolves to that old order
        key = f"JUPEI-CHECK-{uuid.uuid4().hex[:10]}-{next(tries)}"
        attempt = DeliveryAttempt(0, 1, run.cid, key, created_at=now)
        q = await adapter.quote(order, key=key)
        created = await adapter.create(order, q, attempt)
        return adapter, attempt.with_(
            carrier_order_id=created.carrier_order_id, quote_token=q.token
        )

    try:
        adapter, attempt = await create()
    except CarrierError as e:
        rep.add("create", False, f"下单失败：{e.message}", f"create failed: {e.message}")
        found = await _probe(run, run.options(), create, ("下单", "the create"))
        if found is None:
            return
        adapter, attempt = found[1]
    rep.add("create", bool(attempt.carrier_order_id), "测试单已下", "test order created")
    try:
        snap = await adapter.query(attempt)
        known = snap.status is not DeliveryStatus.UNKNOWN
        rep.add(
            "status", known, f"状态 {snap.raw_status} → {snap.status}",
            f"status {snap.raw_status} → {snap.status}",
            "" if known else f"[carriers.{run.cid}.options] status_overrides",
        )  # fmt: skip
        _spelling(run)
    except CarrierError as e:
        rep.add("status", False, f"查询失败：{e.message}", f"query failed: {e.message}")
    if run.cid in QUERY_WITHOUT_ID:
        await _check_query_without_id(run, attempt, QUERY_WITHOUT_ID[run.cid])
    run.progress("cancel")
    try:
        fee = await adapter.cancel(attempt, "测试单")
        rep.add(
            "cancel", True, f"已取消，取消费 {fmt_yuan(fee)}", f"cancelled, fee {fmt_yuan(fee)}"
        )
    except CarrierError as e:
        rep.add(
            "cancel", False, f"取消失败，请到商家后台取消：{e.message}",
            f"cancel failed, cancel it in the carrier's portal: {e.message}",
        )  # fmt: skip


async def _check_query_without_id(run: _Run, attempt: DeliveryAttempt, name: str) -> None:
    """Ask the status of the test order by our own ids only (no carrier order id, as
    after a create whose answer was lost). Answered: the option ``name`` = true would
    work (informational: the default re-sends the create instead). Refused: the default
    (false) matches — unless the settings turned it on."""
    rep, cid = run.report, run.cid
    on = bool(getattr(run.options(), name))
    line = option_line(cid, name, True)
    run.progress(f"probe {name}")
    try:
        await run.adapter(**{name: True}).query(attempt.with_(carrier_order_id=""))
    except CarrierError as e:
        if on:
            rep.add(
                f"option {name}", False, f"不带配送单号的查询被拒：{e.message}",
                f"the query without the carrier order id is refused: {e.message}",
                option_line(cid, name, False),
            )  # fmt: skip
        else:
            rep.add(
                f"option {name}", True, f"不带配送单号的查询被拒，与默认 {name} = false 一致",
                f"the query without the carrier order id is refused: matches the default "
                f"{name} = false",
            )  # fmt: skip
        return
    if on:
        rep.add(
            f"option {name}", True, f"不带配送单号的查询可用，与 {name} = true 一致",
            f"the query without the carrier order id is answered: matches {name} = true",
        )  # fmt: skip
    else:
        rep.add(
            f"option {name}", None, f"不带配送单号的查询也有答复：可改 {line}（非必须）",
            f"the query without the carrier order id is answered too: {line} would work "
            "(optional)",
        )  # fmt: skip
