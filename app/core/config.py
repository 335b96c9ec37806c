"""The one declarative settings schema, read by the app, ``serve`` and the settings dialog.

Sources, strongest first: environment (``JUPEI_`` prefix, ``__`` for nesting, e.g.
``JUPEI_DISPATCH__ACCEPT_TIMEOUT_S=20``), then the TOML file (``--config PATH`` or
``config.toml`` in the platform config dir), then the defaults below. Secrets are never
read from or written to the file: they live in the secret store (``app.core.secrets``)
and only their env overrides pass through here.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from app.core import paths
from app.core.carriers.registry import CARRIER_IDS
from app.core.config_errors import ConfigError

log = logging.getLogger(__name__)

SECRET_KEYS = frozenset({"app_secret", "dev_key", "access_token", "secret"})
# order sources also hold OAuth refresh tokens and 美团 MTOp sign keys / store tokens
SOURCE_SECRET_KEYS = SECRET_KEYS | {"refresh_token", "sign_key", "app_auth_token"}


class StoreSettings(BaseModel):
    name: str = "聚配演示店（人民广场店）"
    address: str = "上海市黄浦区南京东路300号"
    phone: str = "021-63500000"
    city: str = "上海市"
    city_code: str = "021"
    lat: float = 31.23593  # GCJ-02
    lng: float = 121.48054
    # goods category of an order that names none (domain.category): food 餐饮, fresh 生鲜,
    # market 商超, flowers 鲜花, cake 蛋糕, documents 文件, medicine 药品
    default_category: Literal[
        "food", "fresh", "market", "flowers", "cake", "documents", "medicine"
    ] = "food"
    currency: str = "CNY"  # ISO 4217: the unit of every carrier fee (integer minor units)
    country: str = "CN"  # ISO 3166-1 alpha-2: outside CN overseas carriers are on by default

    @field_validator("currency", "country")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.strip().upper()

    @model_validator(mode="after")
    def _coordinates(self) -> StoreSettings:
        """lat/lng on the globe (not swapped); in China within its extent, where the
        carriers take GCJ-02."""
        if not (-90.0 <= self.lat <= 90.0 and -180.0 <= self.lng <= 180.0):
            raise ValueError(
                f"@key=lat 坐标超出范围 lat={self.lat}, lng={self.lng}（纬度 -90..90，经度 -180..180；"
                "是否把 lat 和 lng 写反了？）"
                f" / coordinates out of range lat={self.lat}, lng={self.lng} (lat -90..90, "
                "lng -180..180; are lat and lng swapped?)"
            )
        if self.country == "CN" and not (
            _CN_LAT[0] <= self.lat <= _CN_LAT[1] and _CN_LNG[0] <= self.lng <= _CN_LNG[1]
        ):
            raise ValueError(
                f"@key=lat 门店坐标 lat={self.lat}, lng={self.lng} 不在中国境内（GCJ-02 坐标，纬度在前）"
                " / the store's coordinates are not in China (GCJ-02, lat first)"
            )
        return self


# China's extent (lat, lng), generous: Hainan/南沙 to 漠河, 帕米尔 to 抚远
_CN_LAT = (3.0, 54.0)
_CN_LNG = (73.0, 136.0)


class DatabaseSettings(BaseModel):
    url: str = ""  # empty: SQLite file in the platform data dir


class PosSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8731
    allow_remote: bool = False  # must be true to bind a non-loopback host
    default_dispatch: Literal["auto", "manual"] | None = None  # None: [dispatch] mode
    webhook_url: str = ""  # outbound status webhook to the POS (optional)
    secret: str | None = None  # only via JUPEI_POS__SECRET; else the secret store
    max_body_bytes: int = 256 * 1024
    clock_skew_s: int = 300


class DistanceBand(BaseModel):
    max_m: int
    carriers: list[str]


class ChannelOverride(BaseModel):
    strategy: Literal["cheapest", "fastest", "balanced"] | None = None
    preferred: list[str] | None = None
    excluded: list[str] | None = None


class DispatchSettings(BaseModel):
    mode: Literal["auto", "manual"] = "manual"
    strategy: Literal["cheapest", "fastest", "balanced"] = "cheapest"
    quote_deadline_s: float = 8.0
    quote_timeout_s: float = 5.0  # per carrier
    accept_timeout_s: int | None = None  # set: overrides every carrier's default
    race: bool = False
    race_max: int = 2
    preferred: list[str] = Field(default_factory=list)
    preferred_minutes: float = 0.0
    excluded: list[str] = Field(default_factory=list)
    fee_cap_fen: int | None = None
    max_pickup_s: int | None = None
    distance_bands: list[DistanceBand] = Field(default_factory=list)
    channel_overrides: dict[str, ChannelOverride] = Field(default_factory=dict)
    weight_price: float = 0.6
    weight_time: float = 0.3
    weight_reliability: float = 0.1
    tip_ladder_fen: list[int] = Field(default_factory=list)  # tips tried before failover
    breaker_failures: int = 3
    breaker_reset_s: float = 60.0
    offline_retry_s: float = 20.0
    stale_tracking_s: int = 300
    unresolved_flag_s: float = 60.0  # create outcome still unknown -> ATTENTION after this
    resume_max_age_min: float = 120.0  # after a restart, older waiting orders -> ATTENTION


class CarrierSettings(BaseModel):
    """``[carriers.<id>]``: ``enabled``, ``base_url`` (default: production host), the
    carrier's own credential names in snake_case, and ``accept_timeout_s``."""

    model_config = ConfigDict(extra="allow")
    enabled: bool = True
    base_url: str = ""
    accept_timeout_s: int | None = None
    options: dict[str, Any] = Field(default_factory=dict)  # knobs for [?] facts

    def credential(self, key: str) -> str | None:
        v = (self.model_extra or {}).get(key)
        return None if v in (None, "") else str(v)


class CarriersSettings(BaseModel):
    """One ``[carriers.<id>]`` section per carrier of the registry (``s.carriers.dada``);
    a section for an id the registry does not know is ignored, as before."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, CarrierSettings] = Field(init=False)

    @model_validator(mode="before")
    @classmethod
    def _every_carrier(cls, data: Any) -> Any:
        if isinstance(data, CarriersSettings):
            return data
        given = data if isinstance(data, dict) else {}
        return {cid: given.get(cid) or {} for cid in CARRIER_IDS}

    def get(self, carrier_id: str) -> CarrierSettings:
        extra = self.__pydantic_extra__ or {}
        if carrier_id not in extra:
            raise AttributeError(carrier_id)
        return extra[carrier_id]


class SourceSettings(BaseModel):
    """``[sources.<id>]``: how orders arrive from one platform (美团外卖, 饿了么). The
    platform's own credential names go in as extra keys (secrets only via the keyring
    or ``JUPEI_SOURCES__<ID>__<KEY>``); ``options`` holds the ASSUMED knobs."""

    model_config = ConfigDict(extra="allow")
    mode: Literal["push", "pull", "off"] = "off"
    base_url: str = ""  # default: the platform's production host
    push_base_url: str = ""  # the public URL configured in the platform console
    auto_confirm: bool = True
    pull_interval_s: int = 60
    platform_stall_min: int = 10  # platform rider missing this long: offer 转自配送
    options: dict[str, Any] = Field(default_factory=dict)

    def credential(self, key: str) -> str | None:
        v = (self.model_extra or {}).get(key)
        return None if v in (None, "") else str(v)


class SourcesSettings(BaseModel):
    meituan: SourceSettings = Field(default_factory=SourceSettings)
    eleme: SourceSettings = Field(default_factory=SourceSettings)
    keruyun: SourceSettings = Field(default_factory=SourceSettings)
    youzan: SourceSettings = Field(default_factory=SourceSettings)
    douyin: SourceSettings = Field(default_factory=SourceSettings)
    hualala: SourceSettings = Field(default_factory=SourceSettings)

    def get(self, source_id: str) -> SourceSettings:
        value = getattr(self, source_id)
        if not isinstance(value, SourceSettings):
            raise KeyError(source_id)
        return value

    @model_validator(mode="after")
    def _supported_modes(self) -> SourcesSettings:
        """A mode the platform cannot work in (客如云/有赞/抖音 pull, 哗啦啦 push) is refused
        with the reason, not run as a source that silently receives nothing."""
        # imported here: the source packages import this module
        from app.core.sources.registry import SOURCE_IDS, rules

        for sid in SOURCE_IDS:
            error = rules(sid).mode_error(self.get(sid).mode)
            if error is not None:
                raise ValueError(error)
        return self


class PrinterSettings(BaseModel):
    name: str
    kind: Literal["network", "usb", "serial", "system", "pdf", "dummy"] = "network"
    host: str = ""
    port: int = 9100
    usb_vendor: int | None = None
    usb_product: int | None = None
    serial_port: str = ""
    baudrate: int = 9600
    system_name: str = ""  # OS printer name for kind=system
    pdf_dir: str = ""  # for kind=pdf; default the data dir
    encoding: Literal["gb18030", "gbk", "utf-8"] = "gb18030"
    width: Literal[58, 80] = 80
    copies: int = 1
    fallback: str = ""  # name of the printer to use when this one is down
    templates: list[str] = Field(default_factory=lambda: ["receipt"])


class PrintingSettings(BaseModel):
    printers: list[PrinterSettings] = Field(default_factory=list)
    on_new_order: bool = True
    on_dispatched: bool = False
    on_rider_accepted: bool = False
    template: str = "standard"
    label_template: str = "label"


class AlertSettings(BaseModel):
    sound: bool = True
    voice: bool = True
    repeat_s: int = 30
    no_rider_after_min: float = 10.0
    volume: float = 0.8


class RehearsalSettings(BaseModel):
    mode: Literal["auto", "on", "off"] = "auto"  # auto: on when no carrier has credentials
    speed: float = 10.0  # sim seconds per real second
    port: int = 0  # 0: any free loopback port
    seed: int = 7
    sandbox_url: str = ""  # use sandboxes already running there instead of starting them
    sample_orders_every_s: float = 45.0  # the GUI's sample POS feed in rehearsal; 0 = off
    sample_orders_max: int = 30  # per session
    # 美团外卖/饿了么 simulators for every source that is off: they push to the listener
    sources: bool = True
    sources_url: str = ""  # use source simulators already running there (`app sandbox`)
    source_orders_every_s: float = 40.0  # the GUI asks them for an order this often; 0 = off
    source_orders_max: int = 30  # per session


class UiSettings(BaseModel):
    language: Literal["zh_CN", "en"] = "zh_CN"
    board_days: int = 1
    show_full_phone: bool = False


class CallbackSettings(BaseModel):
    enabled: bool = False  # needs a public relay to reach a counter PC behind NAT
    host: str = "127.0.0.1"
    port: int = 8732
    public_base_url: str = ""


class HubLinkSettings(BaseModel):
    """``[hub]``: the chain hub this counter PC joined (``python -m app hub-join``). The
    device token is a secret: keyring ``hub.device_token`` or ``JUPEI_HUB__DEVICE_TOKEN``."""

    url: str = ""
    store_id: str = ""


class BackupSettings(BaseModel):
    """``[backup]``: the daily online backup into ``<data dir>/backups`` (kept: 7 daily,
    4 weekly); README, Operations."""

    enabled: bool = True
    folder: str = ""  # empty: <data dir>/backups
    keep_daily: int = Field(default=7, ge=1)
    keep_weekly: int = Field(default=4, ge=0)
    # continuous replication with Litestream (optional extra ``litestream``): a folder or
    # a replica URL (file://, s3://, sftp://…); empty: off
    litestream_target: str = ""


class UpdateSettings(BaseModel):
    """``[updates]``: the signed update feed (TUF metadata + archives made by
    ``installer/update_repo.py``; checked with tufup). Empty ``url``: updates are off."""

    url: str = ""  # base URL; metadata under <url>/metadata/, archives under <url>/targets/
    channel: Literal["stable", "beta"] = "stable"  # beta: also b/rc pre-releases
    # the trusted root.json shipped with the bundle; empty: <install dir>/update_root.json
    root_file: str = ""


class PrivacySettings(BaseModel):
    """``[privacy]``: customers' full phone numbers and addresses are kept ``retain_days``
    (PIPL: only as long as the business needs); a nightly job then masks them, keeping the
    masked phone, the district and the amounts for reports (app/core/retention.py)."""

    retain_days: int = Field(default=90, ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="JUPEI_", env_nested_delimiter="__", extra="ignore", toml_file=None
    )
    store: StoreSettings = Field(default_factory=StoreSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    pos: PosSettings = Field(default_factory=PosSettings)
    dispatch: DispatchSettings = Field(default_factory=DispatchSettings)
    carriers: CarriersSettings = Field(default_factory=CarriersSettings)
    sources: SourcesSettings = Field(default_factory=SourcesSettings)
    printing: PrintingSettings = Field(default_factory=PrintingSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    rehearsal: RehearsalSettings = Field(default_factory=RehearsalSettings)
    ui: UiSettings = Field(default_factory=UiSettings)
    callbacks: CallbackSettings = Field(default_factory=CallbackSettings)
    hub: HubLinkSettings = Field(default_factory=HubLinkSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)
    updates: UpdateSettings = Field(default_factory=UpdateSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    log_level: str = "INFO"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_CONFIG_PATH.get("path"))
        return (init_settings, env_settings, toml)

    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{paths.data_dir() / 'jupei.db'}"


_CONFIG_PATH: dict[str, Path | None] = {"path": None}


def load_settings(config_path: Path | None = None) -> Settings:
    """The settings from env > file > defaults; any problem with the file (or the env) is
    a ``ConfigError`` naming the file, line and key, in Chinese and English."""
    from pydantic import ValidationError

    from app.core.config_errors import ConfigError, from_validation_error

    path = config_path or paths.default_config_file()
    exists = path.is_file()
    text = _read_checked(path) if exists else ""
    _CONFIG_PATH["path"] = path if exists else None
    try:
        settings = Settings()
    except ValidationError as e:
        raise from_validation_error(path if exists else None, text, e.errors()) from None
    except ConfigError:
        raise
    finally:
        _CONFIG_PATH["path"] = None
    return settings


def _read_checked(path: Path) -> str:
    """The file's text, parsed once here so that syntax errors, unknown carriers/sources,
    unsupported source modes and secrets are reported with their line before pydantic."""
    import tomllib

    from app.core.config_errors import (
        ConfigError,
        check_names,
        from_toml_error,
        secret_in_file,
    )

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(path, "", f"无法读取（{e}）", f"cannot be read ({e})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise from_toml_error(path, text, e) from None
    for section, keys in (("sources", SOURCE_SECRET_KEYS), ("carriers", SECRET_KEYS)):
        for sid, table in _tables(data.get(section)):
            leaked = keys & set(table)
            if leaked:
                raise secret_in_file(path, text, (section, sid), sorted(leaked))
    pos = data.get("pos")
    if isinstance(pos, dict) and "secret" in pos:
        raise secret_in_file(path, text, ("pos",), ["secret"])
    problem = check_names(path, text, data)
    if problem is not None:
        raise problem
    return text


def _tables(section: Any) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(section, dict):
        return []
    return [(k, v) for k, v in section.items() if isinstance(v, dict)]


def load_settings_or_fallback(
    config_path: Path | None = None,
) -> tuple[Settings, ConfigError | None]:
    """For the GUI: the settings, and ``None``, when the file loads (then it is also kept
    as ``<name>.last-good.toml`` beside it); else the last good copy, or the defaults
    when there is none (or it fails too), and the ``ConfigError`` to show."""
    from app.core.config_errors import ConfigError, last_good_path

    path = config_path or paths.default_config_file()
    try:
        settings = load_settings(path)
    except ConfigError as problem:
        good = last_good_path(path)
        if good.is_file():
            try:
                settings = load_settings(good)
                problem.running_on = good
                log.warning("config: %s; running on %s", problem.message("en"), good)
                return settings, problem
            except ConfigError:
                log.warning("the last good config %s does not load either", good)
        log.warning("config: %s; running on the defaults", problem.message("en"))
        return load_settings(_NO_FILE), problem
    keep_last_good(path)
    return settings, None


_NO_FILE = Path("\0jupei-no-config-file")  # never exists: the env and the defaults only


def keep_last_good(path: Path) -> None:
    """Copy a config that loaded fine beside it (only when it changed); best effort."""
    from app.core.config_errors import last_good_path

    if not path.is_file():
        return
    good = last_good_path(path)
    try:
        data = path.read_bytes()
        if good.is_file() and good.read_bytes() == data:
            return
        tmp = good.with_name(good.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(good)
    except OSError as e:
        log.warning("could not keep the last good config at %s: %s", good, e)


def file_data(settings: Settings) -> dict[str, Any]:
    """What the settings dialog writes: everything but secrets and env-only fields."""
    data = settings.model_dump(mode="json", exclude_none=True)
    data.get("pos", {}).pop("secret", None)
    for table in data.get("carriers", {}).values():
        for k in SECRET_KEYS:
            table.pop(k, None)
    for table in data.get("sources", {}).values():
        for k in SOURCE_SECRET_KEYS:
            table.pop(k, None)
    return data


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    target = path or paths.default_config_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(tomli_w.dumps(file_data(settings)), encoding="utf-8")
    tmp.replace(target)
    return target
