"""Hub settings, from the environment only (``JUPEI_HUB__`` prefix, ``__`` nesting).

``JUPEI_HUB__DATABASE_URL`` must be PostgreSQL (``postgresql+psycopg://…``); SQLite is
refused: several hub processes share one database and wait on its notifications.
Platform app secrets are not settings: they come from the secret store
(``hub.sources.<id>.app_secret``, env override ``JUPEI_HUB__SOURCES__<ID>__APP_SECRET``).
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class HubConfigError(ValueError):
    """A setting the hub cannot run with; the message says what to set."""


class HubSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="JUPEI_HUB__", env_nested_delimiter="__", extra="ignore"
    )
    database_url: str = ""
    host: str = "127.0.0.1"  # behind a reverse proxy on the same machine; 0.0.0.0 to expose
    port: int = 8750
    # the https address the platforms were given (the reverse proxy's); pushes are signed
    # over it. Empty: the URL each request arrived at.
    public_base_url: str = ""
    long_poll_s: float = 25.0  # the longest a counter's inbox request waits
    inbox_batch: int = 100  # pushes per inbox answer
    enrol_code_hours: float = 24.0
    hq_token_hours: float = 12.0  # a head-office login lasts this long
    # per device token, per hub process: a counter long-polls, acks and syncs a few times a
    # second at most; a runaway or stolen token is slowed down, not the others. 0 = off
    device_rate_per_s: float = 20.0
    device_rate_burst: float = 60.0
    log_level: str = "INFO"

    def checked_database_url(self) -> str:
        return check_database_url(self.database_url)


def check_database_url(url: str) -> str:
    if not url:
        raise HubConfigError(
            "JUPEI_HUB__DATABASE_URL is not set; the hub needs PostgreSQL, e.g. "
            "postgresql+psycopg://jupei:PASSWORD@127.0.0.1:5432/jupei_hub"
        )
    scheme = url.split(":", 1)[0].lower()
    if scheme.startswith("sqlite"):
        raise HubConfigError(
            "the hub runs on PostgreSQL only (several hub processes share one database); "
            "got a SQLite URL. Set JUPEI_HUB__DATABASE_URL=postgresql+psycopg://… "
            "(the counter PC keeps its own SQLite file)"
        )
    if scheme not in ("postgresql", "postgresql+psycopg", "postgres"):
        raise HubConfigError(f"the hub runs on PostgreSQL only; unsupported URL scheme {scheme!r}")
    if scheme in ("postgresql", "postgres"):  # SQLAlchemy's default driver is psycopg2
        url = "postgresql+psycopg" + url[len(scheme) :]
    return url
