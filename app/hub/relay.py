"""Verifying a platform push on the hub with the source packages' own ``parse_push`` (the
same code the counter's local listener runs), and finding the platform's store reference.

The brand's app secret comes from the secret store: ``hub.sources.<id>.app_secret``
(keyring, set with ``python -m app hub secret set <id>``; env override
``JUPEI_HUB__SOURCES__<ID>__APP_SECRET``). It is read when a hub process starts.
The signature covers the URL the platform was given: ``JUPEI_HUB__PUBLIC_BASE_URL`` +
``/hub/v1/sources/<id>`` (+ ``/<kind>`` for 美团), or the URL the request arrived at.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from app.core.clock import Clock
from app.core.secrets import SecretStore, SecretStoreUnavailable
from app.core.sources.base import (
    PushEvent,
    PushKind,
    PushRejected,
    PushRequest,
    PushResult,
    SourceConnector,
    SourceContext,
)
from app.core.sources.http import SourceHttp
from app.core.sources.registry import SOURCE_IDS, build_connector

log = logging.getLogger(__name__)

PREFIX = "/hub/v1/sources"
# where each platform names the store in a push (shared/sources/README.md §2)
STORE_REF_FIELDS: dict[str, tuple[str, ...]] = {
    "meituan": ("app_poi_code",),  # waimaiopen form field
    "eleme": ("shopId",),  # napos push envelope
    "keruyun": ("shopIdenty",),  # system param of the push (push.py copies it in)
    "youzan": ("kdt_id",),  # push body
    "douyin": ("poi_id",),  # webhook content (a refund message names no store [?])
}


def secret_name(source: str) -> str:
    return f"hub.sources.{source}.app_secret"


def load_secrets(store: SecretStore) -> dict[str, str]:
    """The app secrets configured on this hub; a source without one is not relayed."""
    found: dict[str, str] = {}
    for sid in SOURCE_IDS:
        try:
            value = store.get(secret_name(sid))
        except SecretStoreUnavailable as e:
            log.info("hub: %s app secret not read: %s", sid, e)
            continue
        if value:
            found[sid] = value
    return found


@dataclass(frozen=True, slots=True)
class Verified:
    result: PushResult
    store_ref: str
    dedupe_key: str  # "" when the push carries nothing to store (heartbeat)
    source_order_id: str = ""


class Relay:
    def __init__(
        self,
        secrets: Mapping[str, str],
        clock: Clock,
        public_base_url: str = "",
    ) -> None:
        self.secrets = dict(secrets)
        self.clock = clock
        self.public_base_url = public_base_url.rstrip("/")
        self._http = SourceHttp()  # never used by parse_push; the context requires one
        self._connectors: dict[tuple[str, str], SourceConnector] = {}

    def sources(self) -> tuple[str, ...]:
        return tuple(sorted(self.secrets))

    def connector(self, source: str, push_base_url: str) -> SourceConnector:
        key = (source, push_base_url)
        if key not in self._connectors:
            ctx = SourceContext(
                source=source,
                base_url="",
                credentials={"app_secret": self.secrets[source]},
                http=self._http,
                clock=self.clock,
                push_base_url=push_base_url,
            )
            self._connectors[key] = build_connector(ctx)
        return self._connectors[key]

    def push_base_url(self, source: str, request_origin: str) -> str:
        return f"{self.public_base_url or request_origin.rstrip('/')}{PREFIX}/{source}"

    def verify(self, source: str, kind: str, request: PushRequest, origin: str) -> Verified:
        """Raise ``PushRejected`` (with the platform's error reply) or ``KeyError`` for a
        source this hub has no secret for."""
        connector = self.connector(source, self.push_base_url(source, origin))
        try:
            result = connector.parse_push(kind, request)
        except (ValueError, KeyError, TypeError) as e:  # signed but malformed
            raise PushRejected(f"{source}: malformed push: {type(e).__name__}", 400) from None
        events = [e for e in result.events if e.kind is not PushKind.HEARTBEAT]
        if not events:
            return Verified(result, "", "")
        return Verified(
            result,
            store_ref(source, events),
            dedupe_key(source, kind, events, request),
            next((e.source_order_id for e in events if e.source_order_id), ""),
        )

    async def aclose(self) -> None:
        await self._http.aclose()


def store_ref(source: str, events: list[PushEvent]) -> str:
    for event in events:
        if event.order is not None and event.order.source_store_ref:
            return event.order.source_store_ref
        for name in STORE_REF_FIELDS.get(source, ()):
            value = event.raw.get(name)
            if value not in (None, ""):
                return str(value)
    return ""


def dedupe_key(source: str, kind: str, events: list[PushEvent], request: PushRequest) -> str:
    """The platform's own keys (the same the counter dedupes by); a push that has none
    is keyed by its content, so a byte-identical retry is still stored once."""
    keys = [e.dedupe_key for e in events if e.dedupe_key]
    if keys:
        return f"{kind}|" + "|".join(keys)[:280]
    h = hashlib.sha256(request.body)
    for k, v in sorted(request.query.items()):
        h.update(f"\0{k}={v}".encode())
    return f"{kind}|sha256:{h.hexdigest()}"
