"""Diagnostics pack (issue 19, item 6): ``python -m app diagnose [--zip PATH]`` and the
ZIP it writes: the contents support needs, and no secret or full phone in any file."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.__main__ import main
from app.core.backup import backup_name, backup_to
from app.core.config import Settings
from app.core.diagnostics import collect, scrub, write_zip
from app.core.secrets import MemorySecretStore
from tests.helpers import POS_SECRET, sample_order, started_core

# fresh per run: the log REDACTOR is process-wide, so a value some other test registered
# would be masked without the pack's own doing; these only the pack can learn
_RUN = uuid.uuid4().hex[:8]
KEYRING_SECRET = f"DIAGCANARY-keyring-dada-{_RUN}"
ENV_SECRET = f"DIAGCANARY-env-sf-devkey-{_RUN}"
SOURCE_TOKEN = f"DIAGCANARY-meituan-token-{_RUN}"
HUB_TOKEN = f"DIAGCANARY-hub-device-{_RUN}"
PG_PASSWORD = f"DIAGCANARY-pgpass-{_RUN}"
PIN = str(10_000_000 + int(_RUN, 16) % 89_999_999)  # 8 digits
PHONES = ["13912345678", "15087654321"]
LOG_PHONE = "18611223344"
BACKUP_NAME = backup_name(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
MOBILE = re.compile(r"(?<![\d.])1[3-9]\d{9}(?!\d)")


def _zip_texts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist()}


async def _seed(tmp_path: Path) -> tuple[Settings, MemorySecretStore]:
    """A data dir as a real counter leaves it: orders with full phones, an attempt error
    and a print error quoting a phone, a log written before redaction existed."""
    async with started_core(tmp_path) as core:
        svc = core.service
        for i, phone in enumerate(PHONES):
            base = sample_order(f"P{i}")
            order = replace(base, customer=replace(base.customer, phone=phone))
            await svc.receive_order(order, f"h{i}", "pos")
        settings = svc.settings
    con = sqlite3.connect(tmp_path / "test.db")
    with con:
        con.execute(
            "INSERT INTO print_jobs (id, order_id, printer, template, reason, copies, state,"
            " tries, error, created_at, updated_at) VALUES ('x', NULL, 'p1', 'receipt', 'new',"
            " 1, 'failed', 3, ?, '2026-12-01 10:00:00', '2026-12-01 10:00:00')",
            (f"printer offline while printing for {PHONES[0]} secret={KEYRING_SECRET}",),
        )
    con.close()
    store = MemorySecretStore(  # the keyring: not read (nor registered) until the pack does
        {
            "carriers.dada.app_secret": KEYRING_SECRET,
            "sources.meituan.app_auth_token": SOURCE_TOKEN,
            "hub.device_token": HUB_TOKEN,
            "manager.pin": PIN,
        }
    )
    log_dir = tmp_path / "log"
    log_dir.mkdir()
    (log_dir / "jupei.log.1").write_text(
        f"2026-11-30 09:00:00 ERROR   jupei.carriers: dada refused app_secret {KEYRING_SECRET}"
        f" for {PHONES[1]}\n",
        encoding="utf-8",
    )
    (log_dir / "jupei.log").write_text(
        "2026-12-01 10:00:00 INFO    jupei: started\n"
        f"2026-12-01 10:00:01 WARNING jupei.pos: customer {LOG_PHONE} token {SOURCE_TOKEN}\n"
        f"2026-12-01 10:00:02 INFO    jupei: env secret was {ENV_SECRET}, pin {PIN}\n",
        encoding="utf-8",
    )
    (tmp_path / "backups").mkdir()
    backup_to(tmp_path / "test.db", tmp_path / "backups" / BACKUP_NAME)
    conf = tmp_path / "config.toml"
    conf.write_text(
        '[store]\nname = "测试店"\nphone = "13700001111"\n'
        f'[hub]\nurl = "https://hub:{PG_PASSWORD}@hub.example.cn"\n'
        "[carriers.sf]\nenabled = true\n",
        encoding="utf-8",
    )
    return settings, store


@pytest.mark.asyncio
async def test_diagnostics_zip_has_what_support_needs_and_no_secret_or_full_phone(
    tmp_path, monkeypatch
):
    settings, store = await _seed(tmp_path)
    monkeypatch.setenv("JUPEI_CARRIERS__SF__DEV_KEY", ENV_SECRET)  # after the core ran
    live = {"printers": [{"name": "p1", "error": f"paper out, call {PHONES[0]}"}]}
    seen: list[int] = []
    diag = collect(
        settings,
        config_path=tmp_path / "config.toml",
        store=store,
        log_dir=tmp_path / "log",
        live=live,
        progress=lambda pct, _what: seen.append(pct),
    )
    target = write_zip(diag, tmp_path / "out" / "diag.zip")
    texts = _zip_texts(target)

    # what support reads is really there
    assert {"summary.txt", "system.json", "config.json", "config.toml", "database.json",
            "health.json", "errors.txt", "logs/jupei.log", "logs/jupei.log.1"} <= set(texts)  # fmt: skip
    db = json.loads(texts["database.json"])
    assert db["ok"] is True and db["quick_check"] == ["ok"]
    assert db["row_counts"]["orders"] == 2 and db["migration"]
    assert db["size_bytes"]["test.db"] > 0
    assert db["recent_errors"]["print_jobs"][0]["printer"] == "p1"
    storage = db["storage"]
    assert storage["disk_free_bytes"] > 0 and storage["folder"] == str(tmp_path / "backups")
    assert [b["name"] for b in storage["backups"]] == [BACKUP_NAME]
    system = json.loads(texts["system.json"])
    assert system["python"] and system["jupei"]
    health = json.loads(texts["health.json"])
    assert health["carriers"]["sf"]["enabled"] is True and health["manager_pin_set"] is True
    assert health["live"]["printers"][0]["name"] == "p1"
    assert "测试店" in texts["config.toml"]  # the file as the merchant wrote it
    effective = json.loads(texts["config.json"])  # what the app runs with
    assert effective["database"]["url"].endswith("test.db") and "pos" in effective
    assert "dada refused" in texts["errors.txt"] and "customer 186****3344" in texts["errors.txt"]
    assert "started" in texts["logs/jupei.log"]
    assert (
        "integrity: ok" in texts["summary.txt"]
        and "backups 1 (newest 2026-12-01" in texts["summary.txt"]
    )
    assert seen == sorted(seen) and seen[-1] == 90

    # nothing secret, no full mobile number, in any file of the ZIP
    secrets = [POS_SECRET, KEYRING_SECRET, ENV_SECRET, SOURCE_TOKEN, HUB_TOKEN, PG_PASSWORD, PIN]
    leaks = [(n, s) for n, t in texts.items() for s in secrets if s in t]
    assert not leaks, leaks
    raw = target.read_bytes()  # and not in the ZIP's own bytes (names, comments)
    assert not [s for s in secrets if s.encode() in raw]
    phones = [(n, m.group()) for n, t in texts.items() for m in MOBILE.finditer(t)]
    assert not phones, phones
    assert "139****5678" in texts["database.json"]  # the scan saw the phone, masked


def test_scrub_removes_toml_secret_lines_url_passwords_and_phones():
    text = 'app_secret = "abc123"\nurl = "postgresql://u:pw9x@db/j"\ncall 13812345678'
    out = scrub(text)
    assert "abc123" not in out and "pw9x" not in out and "13812345678" not in out
    assert 'app_secret = "***"' in out and "138****5678" in out


def test_cli_diagnose_prints_summary_and_writes_zip(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JUPEI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("JUPEI_POS__SECRET", POS_SECRET)
    monkeypatch.setattr("app.core.secrets.KeyringSecretStore.get", lambda self, name: None)
    assert main(["diagnose"]) == 0
    out = capsys.readouterr().out
    assert "JuPei" in out and "no database yet" in out and "ZIP" not in out
    zdir = tmp_path / "zips"
    zdir.mkdir()
    assert main(["diagnose", "--zip", str(zdir)]) == 0
    made = list(zdir.glob("jupei-diagnostics-*.zip"))
    assert len(made) == 1 and f"diagnostics ZIP: {made[0]}" in capsys.readouterr().out
    texts = _zip_texts(made[0])
    assert "summary.txt" in texts and not any(POS_SECRET in t for t in texts.values())


def test_cli_diagnose_exits_1_on_a_corrupt_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JUPEI_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("app.core.secrets.KeyringSecretStore.get", lambda self, name: None)
    data = tmp_path / "home" / "data"
    data.mkdir(parents=True)
    (data / "jupei.db").write_bytes(b"this is not a database" * 100)
    assert main(["diagnose"]) == 1
    assert "error:" in capsys.readouterr().out


@pytest.mark.allow_warnings  # the fallback says "running on the defaults"
def test_cli_diagnose_on_a_broken_config_still_makes_the_pack(tmp_path, monkeypatch, capsys):
    """The pack is most wanted when the config is broken: it is made on the fallback
    settings, says what is wrong, and a secret typed into the broken file is not in it."""
    monkeypatch.setenv("JUPEI_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("app.core.secrets.KeyringSecretStore.get", lambda self, name: None)
    conf = tmp_path / "broken.toml"
    conf.write_text(
        f'[carriers.dada]\napp_secret = "{KEYRING_SECRET}"\n[store\nname = "坏配置店"\n',
        encoding="utf-8",
    )
    target = tmp_path / "d.zip"
    assert main(["diagnose", "--config", str(conf), "--zip", str(target)]) == 1
    out = capsys.readouterr().out
    assert "config problem:" in out and str(conf) in out and KEYRING_SECRET not in out
    texts = _zip_texts(target)
    assert "broken.toml" in texts["config_problem.txt"]
    assert "坏配置店" in texts["config.toml"] and 'app_secret = "***"' in texts["config.toml"]
    assert not [n for n, t in texts.items() if KEYRING_SECRET in t]
