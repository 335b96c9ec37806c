"""What the settings dialog asks of the order sources, behind ``AppService``: the facts
it shows (names, colours, credential keys), where each secret lives in the secret store,
"test connection" on unsaved settings, and the 饿了么 OAuth authorisation.

Nothing here keeps a connector: a test builds one from the settings being edited through
``setup.context_for`` on a short-lived HTTP client and makes one cheap authenticated
read. Failures come back as a clear message (Chinese first, English beside it), never
as an exception the dialog has to decode."""

from __future__ import annotations

import asyncio
import logging
import secrets as pysecrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from app.core.clock import Clock
from app.core.config import Settings
from app.core.logs import REDACTOR
from app.core.secrets import SecretStore
from app.core.sources import setup
from app.core.sources.base import (
    SourceAuthError,
    SourceConnector,
    SourceError,
    SourceOutcomeUnknownError,
    SourceRateLimitedError,
    SourceUnavailableError,
)
from app.core.sources.eleme import oauth
from app.core.sources.http import SourceHttp
from app.core.sources.registry import SOURCE_IDS, build_connector, rules

log = logging.getLogger(__name__)

COLOURS = {
    "meituan": "#ffc300",
    "eleme": "#0086ff",
    "youzan": "#e5171e",
    "douyin": "#161823",
}  # the platforms' own brand colours
POS_COLOUR = "#8c959f"
# what a cheap authenticated read needs; MTOp has no researched read yet (mtop_api.py)
REQUIRED = {
    "meituan": ("app_id", "app_secret", "app_poi_code"),
    "eleme": ("app_key", "app_secret", "shop_id", "access_token"),
    "youzan": ("client_id", "client_secret", "kdt_id"),
    "douyin": ("client_key", "client_secret", "ma_app_id"),
}


@dataclass(frozen=True, slots=True)
class SourceFacts:
    """What the UI shows or asks about one order source."""

    id: str
    name_zh: str
    name_en: str
    colour: str
    credential_keys: tuple[str, ...]
    secret_keys: tuple[str, ...]
    push_kinds: tuple[str, ...]
    production_base_url: str = ""
    sandbox_base_url: str = ""
    modes: tuple[str, ...] = ("off", "push", "pull")  # what the settings page offers

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True, slots=True)
class SourceCheck:
    """The outcome of "test connection" or of the OAuth code exchange."""

    ok: bool
    message: str  # Chinese
    message_en: str

    def text(self, lang: str = "zh") -> str:
        return self.message if lang == "zh" else self.message_en


def source_facts() -> dict[str, SourceFacts]:
    out = {}
    for sid in SOURCE_IDS:
        r = rules(sid)
        out[sid] = SourceFacts(
            sid,
            r.name_zh,
            r.name_en,
            COLOURS.get(sid, POS_COLOUR),
            r.credential_keys,
            r.secret_keys,
            r.push_kinds,
            r.production_base_url,
            r.sandbox_base_url,
            r.modes,
        )
    return out


def secret_name(source_id: str, key: str) -> str:
    """``sources.<id>.<key>``, the name ``setup.credentials_for`` reads; only a key the
    source declares secret is accepted (a typo must not create a stray keyring entry)."""
    if key not in rules(source_id).secret_keys:
        raise KeyError(f"{source_id}: {key} is not a secret key")
    return f"sources.{source_id}.{key}"


class OverlaySecrets:
    """The secret store as the settings dialog sees it: values typed but not saved yet
    win over the stored ones (so "test connection" tests what is on the screen)."""

    def __init__(self, typed: Mapping[str, str], stored: Callable[[str], str | None]) -> None:
        self._typed, self._stored = dict(typed), stored

    def get(self, name: str) -> str | None:
        return self._typed.get(name) or self._stored(name)

    def set(self, name: str, value: str) -> None:
        self._typed[name] = value

    def delete(self, name: str) -> None:
        self._typed.pop(name, None)


def _fail(zh: str, en: str) -> SourceCheck:
    return SourceCheck(False, zh, en)


def explain(e: SourceError) -> SourceCheck:
    """A connector error in the merchant's words."""
    why = e.message
    if isinstance(e, SourceAuthError):
        return _fail(
            f"凭据无效或授权已过期（{why}）：请核对密钥，饿了么请重新授权",
            f"Credentials refused or authorisation expired ({why}): check the keys; "
            "for Ele.me authorise again",
        )
    if isinstance(e, SourceRateLimitedError):
        return _fail("平台限流，请稍后再试", "Rate limited by the platform; try again later")
    if isinstance(e, SourceUnavailableError | SourceOutcomeUnknownError):
        return _fail(
            f"无法连接平台（{why}）：请检查网络和接口地址",
            f"Platform not reached ({why}): check the network and the API address",
        )
    return _fail(f"平台拒绝了请求：{why}", f"The platform refused the call: {why}")


async def _probe(connector: SourceConnector) -> SourceCheck:
    """One cheap authenticated read per source."""
    latest = getattr(connector, "latest_day_seq", None)
    if latest is not None:  # 美团 waimaiopen: signed with app_id/app_secret for this store
        seq = await latest()
        return SourceCheck(
            True, f"连接成功：今日最新订单序号 {seq}", f"Connected: today's latest day_seq {seq}"
        )
    orders = getattr(connector, "_order_list", None)
    if orders is not None:  # 饿了么: the shop's unprocessed orders, needs the shop token
        n = len(await orders("eleme.order.getUnprocessOrders"))
        return SourceCheck(
            True, f"连接成功：待处理订单 {n} 个", f"Connected: {n} unprocessed orders"
        )
    probe = getattr(connector, "probe", None)
    if probe is not None:  # later sources name their own cheap call: (zh, en)
        zh, en = await probe()
        return SourceCheck(True, zh, en)
    return _fail(
        "该接口变体（美团 MTOp）暂无可用的测试调用，请在测试门店上核实",
        "This API variant (Meituan MTOp) has no test call yet; verify on a test store",
    )


async def check_connection(
    source_id: str,
    settings: Settings,
    secrets: SecretStore,
    clock: Clock,
    *,
    http: SourceHttp | None = None,
) -> SourceCheck:
    """Build a connector from ``settings`` (maybe unsaved) and make one cheap
    authenticated call. ``secrets`` should be an ``OverlaySecrets``."""
    if source_id not in SOURCE_IDS:
        return _fail(f"未知的订单来源 {source_id}", f"Unknown order source {source_id}")
    own = http is None
    client = http or SourceHttp(timeout_s=8.0, connect_timeout_s=4.0)
    try:
        # the secret store is OS I/O (keyring): off the core loop
        ctx = await asyncio.to_thread(
            setup.context_for, source_id, settings, secrets, client, clock
        )
        variant = str(ctx.options.get("variant", ""))
        needed = REQUIRED.get(source_id) or rules(source_id).credential_keys
        missing = [k for k in needed if not ctx.credentials.get(k)]
        if missing and variant != "mtop":
            names = "、".join(missing)
            return _fail(f"缺少：{names}", f"Missing: {', '.join(missing)}")
        return await _probe(build_connector(ctx))
    except SourceError as e:
        log.info("test of %s failed: %s", source_id, e)
        return explain(e)
    finally:
        if own:
            await client.aclose()


# ---------------------------------------------------------------------- 饿了么 OAuth
def redirect_uri(settings: Settings) -> str:
    """The callback registered for the app in the 饿了么 console (``[sources.eleme]
    redirect_uri``); the browser lands there with ``?code=``."""
    return settings.sources.eleme.credential("redirect_uri") or ""


def eleme_authorize(settings: Settings) -> tuple[str, str]:
    """``(url, state)``: the page to open; keep ``state`` to check the pasted answer."""
    ss = settings.sources.eleme
    app_key = ss.credential("app_key") or ""
    if not app_key:
        raise ValueError("app_key")
    state = pysecrets.token_urlsafe(12)
    base = ss.base_url or rules("eleme").production_base_url
    return oauth.authorize_url(base, app_key, redirect_uri(settings), state), state


async def eleme_exchange(
    pasted: str,
    settings: Settings,
    secrets: SecretStore,
    save: Callable[[str, str], Awaitable[None]],
    *,
    expected_state: str = "",
    http: SourceHttp | None = None,
) -> SourceCheck:
    """Exchange the pasted code (or the whole callback address) for a token pair and
    ``save(key, value)`` both tokens into the secret store."""
    code, state = oauth.parse_pasted(pasted)
    if not code:
        return _fail("请粘贴授权码或回调地址", "Paste the code or the callback address")
    if state and expected_state and state != expected_state:
        return _fail(
            "授权状态不匹配，请重新点击“授权…”", "State mismatch: start the authorisation again"
        )
    creds = await asyncio.to_thread(setup.credentials_for, "eleme", settings, secrets)
    if not creds.get("app_key") or not creds.get("app_secret"):
        return _fail("缺少：app_key、app_secret", "Missing: app_key, app_secret")
    ss = settings.sources.eleme
    own = http is None
    client = http or SourceHttp(timeout_s=8.0, connect_timeout_s=4.0)
    try:
        pair = await oauth.exchange_code(
            client,
            ss.base_url or rules("eleme").production_base_url,
            app_key=creds["app_key"],
            app_secret=creds["app_secret"],
            code=code,
            redirect_uri=redirect_uri(settings),
        )
    except SourceError as e:
        log.info("eleme code exchange failed: %s", e)
        return explain(e)
    finally:
        if own:
            await client.aclose()
    for value in (pair.access_token, pair.refresh_token):
        REDACTOR.register(value)
    await save("access_token", pair.access_token)
    if pair.refresh_token:
        await save("refresh_token", pair.refresh_token)
    days = f"{pair.expires_in / 86400:.0f}" if pair.expires_in else "?"
    return SourceCheck(
        True,
        f"授权成功，令牌已保存到系统钥匙串（有效期约 {days} 天）",
        f"Authorised; tokens saved to the keyring (valid about {days} days)",
    )
