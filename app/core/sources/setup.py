"""Builds a source connector's context from ``[sources.<id>]`` settings and the secret
store, pointing at the production host, a configured ``base_url``, or a simulator.
The composition root calls this; nothing else reads source settings."""

from __future__ import annotations

from app.core.clock import Clock
from app.core.config import Settings
from app.core.logs import REDACTOR
from app.core.secrets import SecretStore, SecretStoreUnavailable
from app.core.sources.base import SourceContext
from app.core.sources.http import SourceHttp
from app.core.sources.registry import rules
from app.core.sources.tokens import SaveSecret, TokenKeeper, secret_name


def credentials_for(source_id: str, settings: Settings, secrets: SecretStore) -> dict[str, str]:
    """Plain keys from ``[sources.<id>]``; secret keys from the settings' env override
    (``JUPEI_SOURCES__<ID>__<KEY>``) or else the secret store (``sources.<id>.<key>``)."""
    r = rules(source_id)
    ss = settings.sources.get(source_id)
    out: dict[str, str] = {}
    for key in r.credential_keys:
        value = ss.credential(key)
        if value is None and key in r.secret_keys:
            try:
                value = secrets.get(secret_name(source_id, key))
            except SecretStoreUnavailable:
                value = None
        if value:
            out[key] = value
            if key in r.secret_keys:
                REDACTOR.register(value)  # never in a log line
    return out


def context_for(
    source_id: str,
    settings: Settings,
    secrets: SecretStore,
    http: SourceHttp,
    clock: Clock,
    *,
    simulator_base_url: str = "",
    save_secret: SaveSecret | None = None,
    listener_url: str = "",
) -> SourceContext:
    """``simulator_base_url`` (rehearsal) wins over the configured and production hosts,
    and then the simulator's own rehearsal credentials are used and the simulator pushes
    to this machine's listener (``rehearsal_push_base``; ``listener_url`` is the address
    the listener really bound, which differs from ``[pos] port`` when that is 0).

    ``save_secret`` (the secret store's setter; the desk passes it) makes tokens the
    connector refreshes outlive the process (``tokens.TokenKeeper``); never for a
    simulator, whose rehearsal tokens must not overwrite the shop's."""
    r = rules(source_id)
    ss = settings.sources.get(source_id)
    push_base = ss.push_base_url
    keeper = None
    if simulator_base_url:
        base, creds = simulator_base_url, dict(r.rehearsal_credentials)
        push_base = rehearsal_push_base(source_id, settings, listener_url)
    else:
        base, creds = (
            ss.base_url or r.production_base_url,
            credentials_for(source_id, settings, secrets),
        )
        if save_secret is not None:
            # a secret key in the settings can only be an env override: files refuse them
            env = [k for k in r.secret_keys if ss.credential(k) is not None]
            keeper = TokenKeeper(source_id, save_secret, env)
    return SourceContext(
        source=source_id,
        base_url=base,
        credentials=creds,
        http=http,
        clock=clock,
        push_base_url=push_base,
        options={**r.default_options, **ss.options},
        on_tokens=keeper,
    )


def rehearsal_push_base(source_id: str, settings: Settings, listener_url: str = "") -> str:
    """Where a rehearsal simulator pushes: the local listener (its bound address once it
    listens, else ``[pos]`` host and port), the path the listener serves pushes on; 美团
    signs over ``<this>/<kind>``, so a port 0 left here would refuse every push."""
    if listener_url:
        return f"{listener_url.rstrip('/')}/api/v1/sources/{source_id}"
    pos = settings.pos
    host = f"[{pos.host}]" if ":" in pos.host else pos.host
    return f"http://{host}:{pos.port}/api/v1/sources/{source_id}"
