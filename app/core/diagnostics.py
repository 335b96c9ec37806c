"""Diagnostics pack (issue 19, item 6): one ZIP a merchant can send to support.

``collect`` gathers version, OS, Python/Qt versions, the config with secrets removed,
the last logs, database integrity (``PRAGMA quick_check``), size, row counts and
migration version, connector/carrier/printer health and recent errors; ``write_zip``
puts them into one ZIP. Every text goes through ``scrub`` on the way in: known secret
values (env overrides and the secret store, registered with the log ``REDACTOR``),
``key = value`` secrets and full mobile numbers never reach the ZIP. The database is
opened read-only: the pack can be made while the app runs. No Qt here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import sqlite3
import sys
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from app import __version__
from app.core import paths
from app.core.config import SOURCE_SECRET_KEYS, Settings, file_data
from app.core.logs import REDACTOR
from app.core.privacy import mask_phones_in
from app.core.secrets import SecretStore, env_name

LOG_TAIL_BYTES = 1_000_000  # per log file: the newest lines are what support reads
LOG_FILES = 3  # jupei.log, jupei.log.1, jupei.log.2
RECENT_ERRORS = 100
# a key that names a secret: a word of it (``pin``, not ``shipping``) or a telling part
_SECRET_WORDS = frozenset({"pin", "sign", "signature", "password", "passwd", "pwd"})
_SECRET_PARTS = ("secret", "token", "password", "dev_key", "devkey", "sign_key", "credential")
_TOML_KEY_LINE = re.compile(r'(?m)^(\s*"?([\w.-]+)"?\s*=\s*)(.+)$')
_URL_PASSWORD = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)([^@\s]+)(@)")

Progress = Callable[[int, str], None]  # percent, what is being collected


def secret_key(key: str) -> bool:
    """Does this config key / env name name a secret?"""
    k = key.lower()
    return any(w in _SECRET_WORDS for w in re.split(r"[_.\-\s]+", k)) or any(
        p in k for p in _SECRET_PARTS
    )


def _known_secret_names(settings: Settings) -> list[str]:
    from app.core.carriers.registry import CARRIER_IDS
    from app.core.config import SECRET_KEYS
    from app.core.sources.registry import SOURCE_IDS

    names = ["pos.secret", "manager.pin", "hub.device_token"]
    names += [f"carriers.{c}.{k}" for c in CARRIER_IDS for k in sorted(SECRET_KEYS)]
    names += [f"sources.{s}.{k}" for s in SOURCE_IDS for k in sorted(SOURCE_SECRET_KEYS)]
    return names


def register_known_secrets(settings: Settings, store: SecretStore | None) -> None:
    """Make every secret this PC holds known to the redactor before anything is read:
    ``JUPEI_*`` env values whose name looks secret, env values of every known secret
    name and, when a store is given, the values in the OS keyring."""
    for name, value in os.environ.items():
        if name.startswith("JUPEI_") and secret_key(name):
            REDACTOR.register(value)
    for name in _known_secret_names(settings):
        env = os.environ.get(env_name(name))
        if env:
            REDACTOR.register(env)
        if store is not None:
            try:
                REDACTOR.register(store.get(name))
            except Exception:  # no keyring: env overrides only, said in the pack
                pass
    REDACTOR.register(settings.pos.secret)


def scrub(text: str) -> str:
    """Known secrets, ``secret=...`` fields, TOML secret lines, URL passwords, phones."""
    text = _TOML_KEY_LINE.sub(
        lambda m: m.group(1) + '"***"' if secret_key(m.group(2)) else m.group(0), text
    )
    text = _URL_PASSWORD.sub(r"\1***\3", text)
    return mask_phones_in(REDACTOR.redact(text))


def _scrub_tree(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ("***" if secret_key(str(k)) and v not in (None, "") else _scrub_tree(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub_tree(v) for v in value]
    if isinstance(value, str):
        return scrub(value)
    return value


def _dist_version(*names: str) -> str:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def system_info() -> dict[str, Any]:
    return {
        "jupei": __version__,
        "os": platform.platform(),
        "machine": platform.machine(),
        "python": sys.version.split()[0],
        "python_impl": platform.python_implementation(),
        "qt_pyside6": _dist_version(
            "PySide6", "PySide6_Essentials"
        ),  # metadata only: the core never imports Qt
        "sqlalchemy": _dist_version("SQLAlchemy"),
        "frozen": bool(getattr(sys, "frozen", False)),
        "made_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def config_info(settings: Settings, config_path: Path | None) -> dict[str, Any]:
    path = config_path or paths.default_config_file()
    data = _scrub_tree(file_data(settings))
    data.setdefault("database", {})["url"] = scrub(settings.database_url())
    raw = ""
    if path.exists():
        raw = scrub(path.read_text(encoding="utf-8", errors="replace"))
    return {"path": str(path), "exists": path.exists(), "effective": data, "file": raw}


def _sqlite_path(url: str) -> Path | None:
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            rest = url[len(prefix) :].split("?", 1)[0]
            return None if rest in ("", ":memory:") else Path(rest)
    return None


def database_info(url: str) -> dict[str, Any]:
    """Integrity (``PRAGMA quick_check``), file sizes, migration version and row counts,
    read-only. Not SQLite (PostgreSQL): the URL only (password removed)."""
    path = _sqlite_path(url)
    info: dict[str, Any] = {"url": scrub(url)}
    if path is None:
        info["note"] = "not a SQLite file: integrity and counts are the server's to check"
        return info
    info["path"] = str(path)
    if not path.exists():
        info["note"] = "no database yet (the app has not run with this data dir)"
        return info
    info["size_bytes"] = {
        p.name: p.stat().st_size
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"))
        if p.exists()
    }
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as e:
        info["error"] = scrub(f"cannot open: {e}")
        return info
    try:
        rows = con.execute("PRAGMA quick_check").fetchall()
        info["quick_check"] = [str(r[0]) for r in rows][:20]
        info["ok"] = [r[0] for r in rows] == ["ok"]
        info["page_size"] = con.execute("PRAGMA page_size").fetchone()[0]
        info["page_count"] = con.execute("PRAGMA page_count").fetchone()[0]
        info["freelist_count"] = con.execute("PRAGMA freelist_count").fetchone()[0]
        info["journal_mode"] = con.execute("PRAGMA journal_mode").fetchone()[0]
        tables = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        counts: dict[str, int] = {}
        for t in tables:
            quoted = '"' + t.replace('"', '""') + '"'
            counts[t] = int(con.execute(f"SELECT COUNT(*) FROM {quoted}").fetchone()[0])
        info["row_counts"] = counts
        if "alembic_version" in tables:
            info["migration"] = [
                r[0] for r in con.execute("SELECT version_num FROM alembic_version")
            ]
        info["recent_errors"] = _db_errors(con, set(tables))
    except sqlite3.Error as e:
        info["error"] = scrub(f"{type(e).__name__}: {e}")
        info["ok"] = False
    finally:
        con.close()
    return info


def storage_info(settings: Settings) -> dict[str, Any]:
    """Free space where the database lives (a full disk stops intake) and the backups:
    how many, the newest ones with size, the folder."""
    from app.core.backup import BackupError, list_backups, locations

    try:
        db, folder = locations(settings.database_url(), settings.backup.folder)
    except BackupError:
        return {"note": "not a SQLite database: backups are the server's"}
    out: dict[str, Any] = {"backups_enabled": settings.backup.enabled, "folder": str(folder)}
    try:
        usage = shutil.disk_usage(db.parent if db.parent.exists() else paths.data_dir())
        out["disk_free_bytes"], out["disk_total_bytes"] = usage.free, usage.total
    except OSError as e:
        out["disk_error"] = scrub(str(e))
    found = list_backups(folder)
    out["backup_count"] = len(found)
    out["backups"] = [
        {"name": p.name, "made_at": t.isoformat(), "size_bytes": p.stat().st_size}
        for t, p in found[:10]
        if p.exists()
    ]
    return out


_ERROR_QUERIES = {
    "attempts": "SELECT order_id, carrier, status, error, updated_at FROM attempts "
    "WHERE error != '' ORDER BY updated_at DESC LIMIT ?",
    "print_jobs": "SELECT order_id, printer, state, error, updated_at FROM print_jobs "
    "WHERE error != '' ORDER BY updated_at DESC LIMIT ?",
    "outbox": "SELECT kind, tries, last_error, next_try_at FROM outbox "
    "WHERE last_error != '' AND done_at IS NULL ORDER BY id DESC LIMIT ?",
    "source_syncback": "SELECT source, status, parked, last_error, updated_at "
    "FROM source_syncback WHERE last_error != '' OR parked != '' "
    "ORDER BY updated_at DESC LIMIT ?",
}


def _db_errors(con: sqlite3.Connection, tables: set[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for table, sql in _ERROR_QUERIES.items():
        if table not in tables:
            continue
        try:
            cur = con.execute(sql, (RECENT_ERRORS,))
        except sqlite3.Error as e:  # an older schema: say so, keep going
            out[table] = [{"error": scrub(str(e))}]
            continue
        cols = [c[0] for c in cur.description]
        out[table] = [
            {c: scrub(v) if isinstance(v, str) else v for c, v in zip(cols, row, strict=True)}
            for row in cur.fetchall()
        ]
    return out


def health_info(settings: Settings, store: SecretStore | None) -> dict[str, Any]:
    """What is configured and whether its credentials are present (yes/no, never values)."""
    from app.core.carriers.registry import CARRIER_IDS
    from app.core.sources.registry import SOURCE_IDS

    def present(name: str) -> bool | None:
        if os.environ.get(env_name(name)):
            return True
        if store is None:
            return None
        try:
            return store.get(name) is not None
        except Exception:  # keyring unavailable
            return None

    carriers = {}
    for cid in CARRIER_IDS:
        c = settings.carriers.get(cid)
        carriers[cid] = {
            "enabled": c.enabled,
            "base_url": scrub(c.base_url) or "(production)",
            "credential_names": sorted(k for k in (c.model_extra or {}) if k != "options"),
        }
    sources = {sid: {"mode": settings.sources.get(sid).mode} for sid in SOURCE_IDS}
    printers = [
        {"name": p.name, "kind": p.kind, "host": p.host, "port": p.port}
        for p in settings.printing.printers
    ]
    return {
        "carriers": carriers,
        "sources": sources,
        "printers": printers,
        "pos_listener": {"host": settings.pos.host, "port": settings.pos.port},
        "pos_secret_present": present("pos.secret") or bool(settings.pos.secret),
        "manager_pin_set": present("manager.pin"),
        "hub": {"url": scrub(settings.hub.url), "store_id": settings.hub.store_id},
    }


def log_files(log_dir: Path) -> list[Path]:
    main = log_dir / "jupei.log"
    return [p for p in [main] + [Path(f"{main}.{i}") for i in range(1, LOG_FILES)] if p.exists()]


def _tail(path: Path, limit: int) -> str:
    with path.open("rb") as f:
        size = f.seek(0, os.SEEK_END)
        f.seek(max(0, size - limit))
        data = f.read()
    text = data.decode("utf-8", errors="replace")
    if size > limit:  # drop the partial first line
        text = text.split("\n", 1)[-1]
    return text


def recent_log_errors(texts: Iterable[str]) -> list[str]:
    lines = [
        line
        for text in texts
        for line in text.splitlines()
        if re.search(r"\s(WARNING|ERROR|CRITICAL)\s", line)
    ]
    return lines[-RECENT_ERRORS:]


@dataclass
class Diagnostics:
    system: dict[str, Any]
    config: dict[str, Any]
    database: dict[str, Any]
    health: dict[str, Any]
    logs: dict[str, str] = field(default_factory=dict)  # file name -> scrubbed tail
    log_errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what could not be collected

    def summary(self) -> str:
        db = self.database
        size = sum((db.get("size_bytes") or {}).values())
        rows = db.get("row_counts") or {}
        errs = sum(len(v) for v in (db.get("recent_errors") or {}).values())
        lines = [
            f"JuPei {self.system['jupei']} · Python {self.system['python']} · "
            f"PySide6 {self.system['qt_pyside6']} · {self.system['os']}",
            f"config: {self.config['path']}" + ("" if self.config["exists"] else " (defaults)"),
            f"database: {db.get('path', db.get('url'))}",
        ]
        if "quick_check" in db:
            lines.append(
                f"  integrity: {'ok' if db.get('ok') else 'PROBLEM: ' + '; '.join(db['quick_check'])}"
                f" · {size / 1e6:.1f} MB · migration {','.join(db.get('migration', [])) or '-'}"
            )
            lines.append(
                f"  orders {rows.get('orders', 0)} · attempts {rows.get('attempts', 0)} · "
                f"print jobs {rows.get('print_jobs', 0)} · rows with an error {errs}"
            )
        st = db.get("storage") or {}
        if "disk_free_bytes" in st:
            newest = st["backups"][0]["made_at"] if st.get("backups") else "none"
            lines.append(
                f"  disk free {st['disk_free_bytes'] / 1e9:.1f} GB · backups {st['backup_count']}"
                f" (newest {newest})"
            )
        if "error" in db:
            lines.append(f"  error: {db['error']}")
        if "note" in db:
            lines.append(f"  {db['note']}")
        on = [c for c, v in self.health["carriers"].items() if v["enabled"]]
        lines.append(f"carriers on: {', '.join(on) or '-'}")
        srcs = [f"{s}={v['mode']}" for s, v in self.health["sources"].items() if v["mode"] != "off"]
        lines.append(f"sources: {', '.join(srcs) or 'none'}")
        lines.append(
            f"printers: {', '.join(p['name'] + '(' + p['kind'] + ')' for p in self.health['printers']) or '-'}"
        )
        lines.append(
            f"logs: {len(self.logs)} file(s), {len(self.log_errors)} recent warnings/errors"
        )
        if self.config.get("problem"):
            lines.append(f"config problem: {self.config['problem']}")
        lines += [
            f"could not collect: {p}" for p in self.problems if p != self.config.get("problem")
        ]
        return "\n".join(lines)


def collect(
    settings: Settings,
    *,
    config_path: Path | None = None,
    store: SecretStore | None = None,
    log_dir: Path | None = None,
    live: dict[str, Any] | None = None,
    progress: Progress | None = None,
    config_problem: str = "",
) -> Diagnostics:
    """Everything for the pack. ``live``: the running app's own view (printer states,
    source health) when the GUI makes the pack; ``config_problem``: why the config file
    did not load (the settings given are then the fallback); scrubbed like the rest."""
    step = progress or (lambda _p, _w: None)
    problems: list[str] = []
    step(5, "secrets")
    register_known_secrets(settings, store)
    step(15, "system")
    system = system_info()
    step(25, "config")
    try:
        config = config_info(settings, config_path)
    except Exception as e:  # the pack says what failed and goes on
        problems.append(scrub(f"config: {type(e).__name__}: {e}"))
        config = {"path": str(config_path), "exists": False, "effective": {}, "file": ""}
    if config_problem:
        config["problem"] = scrub(config_problem)
        problems.append(config["problem"])
    step(40, "database")
    database = database_info(settings.database_url())
    try:
        database["storage"] = storage_info(settings)
    except Exception as e:  # the pack says what failed and goes on
        problems.append(scrub(f"storage: {type(e).__name__}: {e}"))
    step(65, "health")
    health = health_info(settings, store)
    if live:
        health["live"] = _scrub_tree(live)
    step(75, "logs")
    logs: dict[str, str] = {}
    for p in log_files(log_dir or paths.log_dir()):
        try:
            logs[p.name] = scrub(_tail(p, LOG_TAIL_BYTES))
        except OSError as e:
            problems.append(scrub(f"log {p.name}: {e}"))
    errors = recent_log_errors(reversed(list(logs.values())))  # oldest file first
    step(90, "done")
    return Diagnostics(system, config, database, health, logs, errors, problems)


def write_zip(diag: Diagnostics, target: Path) -> Path:
    """One ZIP, written beside ``target`` and renamed into place (never half a pack)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")

    def js(obj: Any) -> str:
        return json.dumps(obj, ensure_ascii=False, indent=2, default=str)

    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("summary.txt", diag.summary() + "\n")
        z.writestr("system.json", js(diag.system))
        z.writestr("config.json", js(diag.config["effective"]))
        if diag.config.get("problem"):
            z.writestr("config_problem.txt", diag.config["problem"] + "\n")
        if diag.config["file"]:
            z.writestr("config.toml", diag.config["file"])
        z.writestr("database.json", js(diag.database))
        z.writestr("health.json", js(diag.health))
        z.writestr("errors.txt", "\n".join(diag.log_errors) + "\n")
        for name, text in diag.logs.items():
            z.writestr(f"logs/{name}", text)
        if diag.problems:
            z.writestr("problems.txt", "\n".join(diag.problems) + "\n")
    tmp.replace(target)
    return target


def default_zip_name(now: dt.datetime | None = None) -> str:
    t = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return f"jupei-diagnostics-{t:%Y%m%d-%H%M%S}Z.zip"
