"""Builds and holds one adapter per enabled carrier from settings + secrets, pointing at
the production host, a configured base_url, or the rehearsal sandbox."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.core.carriers.base import CarrierAdapter, CarrierContext
from app.core.carriers.http import CarrierHttp
from app.core.carriers.registry import CARRIER_IDS, build_adapter, rules
from app.core.carriers.rules import CarrierRules
from app.core.clock import Clock
from app.core.config import CarrierSettings, Settings
from app.core.domain import Store
from app.core.logs import REDACTOR
from app.core.secrets import SecretStore, SecretStoreUnavailable

log = logging.getLogger(__name__)


def store_from_settings(settings: Settings) -> Store:
    s = settings.store
    return Store(
        s.name,
        s.address,
        s.phone,
        s.city,
        s.city_code,
        s.lat,
        s.lng,
        s.default_category,
        currency=s.currency,
        country=s.country,
    )


def credentials_for(carrier_id: str, settings: Settings, secrets: SecretStore) -> dict[str, str]:
    """Plain keys from ``[carriers.<id>]``; secret keys from the secret store (whose env
    override is ``JUPEI_CARRIERS__<ID>__<KEY>``)."""
    r = rules(carrier_id)
    cs = settings.carriers.get(carrier_id)
    out: dict[str, str] = {}
    for key in r.credential_keys + tuple(k for k in r.secret_keys if k not in r.credential_keys):
        if key in r.secret_keys:
            value = cs.credential(key)  # an env override lands in settings too
            if value is None:
                try:
                    value = secrets.get(f"carriers.{carrier_id}.{key}")
                except SecretStoreUnavailable:
                    value = None
        else:
            value = cs.credential(key)
        if value:
            out[key] = value
            if key in r.secret_keys:
                REDACTOR.register(value)  # an env override never reaches a log line either
    return out


def carrier_visible(r: CarrierRules, cs: CarrierSettings, store: Store) -> bool:
    """Enabled, and an overseas carrier (DoorDash ...) in a store in China only when its
    section says ``enabled = true`` explicitly (elsewhere it is on by default)."""
    if not cs.enabled:
        return False
    return not (r.overseas and store.country == "CN" and "enabled" not in cs.model_fields_set)


def has_real_credentials(carrier_id: str, settings: Settings, secrets: SecretStore) -> bool:
    r = rules(carrier_id)
    creds = credentials_for(carrier_id, settings, secrets)
    return all(creds.get(k) for k in r.credential_keys)


def rehearsal_wanted(settings: Settings, secrets: SecretStore) -> bool:
    mode = settings.rehearsal.mode
    if mode != "auto":
        return mode == "on"
    return not any(
        settings.carriers.get(cid).enabled and has_real_credentials(cid, settings, secrets)
        for cid in CARRIER_IDS
    )


@dataclass
class CarrierEntry:
    id: str
    adapter: CarrierAdapter
    rules: CarrierRules
    accept_timeout_s: int
    rehearsal: bool


class CarrierGateway:
    def __init__(self, settings: Settings, secrets: SecretStore, http: CarrierHttp, clock: Clock):
        self.settings, self.secrets, self.http, self.clock = settings, secrets, http, clock
        self.entries: dict[str, CarrierEntry] = {}
        self.sandbox_url: str | None = None
        self.callback_base: str = ""

    def build(self, *, sandbox_url: str | None) -> None:
        """(Re)build adapters. In rehearsal mode every carrier talks to the sandbox with
        the sandbox's own credentials; otherwise only carriers with credentials run."""
        self.sandbox_url = sandbox_url
        store = store_from_settings(self.settings)
        self.entries.clear()
        for cid in CARRIER_IDS:
            cs = self.settings.carriers.get(cid)
            r = rules(cid)
            if not carrier_visible(r, cs, store):
                continue
            if sandbox_url:
                base, creds = f"{sandbox_url}/{cid}", dict(r.rehearsal_credentials)
            else:
                if not has_real_credentials(cid, self.settings, self.secrets):
                    continue
                base = cs.base_url or r.production_base_url
                creds = credentials_for(cid, self.settings, self.secrets)
            timeout = self.settings.dispatch.accept_timeout_s or cs.accept_timeout_s
            ctx = CarrierContext(
                carrier=cid,
                base_url=base.rstrip("/"),
                credentials=creds,
                store=store,
                http=self.http,
                clock=self.clock,
                callback_url=f"{self.callback_base}/{cid}" if self.callback_base else "",
                options=dict(cs.options),
            )
            self.entries[cid] = CarrierEntry(
                cid, build_adapter(ctx), r, int(timeout or r.accept_timeout_s), bool(sandbox_url)
            )
        log.info("carriers ready: %s", ", ".join(self.entries) or "none")

    def ids(self) -> list[str]:
        return list(self.entries)

    def get(self, carrier_id: str) -> CarrierEntry:
        return self.entries[carrier_id]
