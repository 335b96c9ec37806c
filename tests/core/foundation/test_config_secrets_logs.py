"""Settings (TOML + JUPEI_ env), the secret store and the redaction filter."""

import logging

import keyring
import pytest

from app.core.config import Settings, file_data, load_settings, save_settings
from app.core.logs import Redactor
from app.core.privacy import mask_phone, mask_phones_in
from app.core.secrets import KeyringSecretStore, MemorySecretStore, SecretStoreUnavailable


def test_env_overrides_file(tmp_path, monkeypatch):
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[dispatch]\nmode = "manual"\naccept_timeout_s = 90\n'
        '[store]\nname = "川味小馆"\nlat = 30.5\n'
        '[carriers.dada]\napp_key = "k1"\nsource_id = "73753"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("JUPEI_DISPATCH__ACCEPT_TIMEOUT_S", "20")
    monkeypatch.setenv("JUPEI_DISPATCH__MODE", "auto")
    monkeypatch.setenv("JUPEI_POS__PORT", "9999")
    monkeypatch.setenv("JUPEI_STORE__LAT", "31.25")
    monkeypatch.setenv("JUPEI_DATABASE__URL", "sqlite:///x.db")
    monkeypatch.setenv("JUPEI_CARRIERS__DADA__APP_SECRET", "s3cret-from-env")
    s = load_settings(cfg)
    assert s.dispatch.accept_timeout_s == 20 and s.dispatch.mode == "auto"
    assert s.pos.port == 9999 and s.store.lat == 31.25 and s.store.name == "川味小馆"
    assert s.database_url() == "sqlite:///x.db"
    assert s.carriers.dada.credential("app_key") == "k1"
    assert s.carriers.dada.credential("app_secret") == "s3cret-from-env"


def test_secrets_in_the_file_are_refused(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[carriers.sf]\ndev_key = "oops"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="keyring"):
        load_settings(cfg)


def test_saved_file_never_holds_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPEI_CARRIERS__UUPT__APP_SECRET", "topsecret")
    monkeypatch.setenv("JUPEI_POS__SECRET", "possecret")
    s = Settings()
    path = save_settings(s, tmp_path / "c.toml")
    text = path.read_text(encoding="utf-8")
    assert "topsecret" not in text and "possecret" not in text
    assert "app_secret" not in str(file_data(s))
    monkeypatch.delenv("JUPEI_CARRIERS__UUPT__APP_SECRET")
    monkeypatch.delenv("JUPEI_POS__SECRET")
    assert load_settings(path).store.name == s.store.name


def test_keyring_store_and_env_override(memory_keyring, monkeypatch):
    store = KeyringSecretStore()
    store.set("carriers.dada.app_secret", "abc123")
    assert memory_keyring.store[("jupei", "carriers.dada.app_secret")] == "abc123"
    assert store.get("carriers.dada.app_secret") == "abc123"
    monkeypatch.setenv("JUPEI_CARRIERS__DADA__APP_SECRET", "from-env")
    assert store.get("carriers.dada.app_secret") == "from-env"


def test_missing_keyring_is_a_clear_error_not_plaintext(monkeypatch):
    from keyring.backends.fail import Keyring as FailKeyring

    keyring.set_keyring(FailKeyring())
    store = KeyringSecretStore()
    assert not store.available()
    with pytest.raises(SecretStoreUnavailable, match="keyring"):
        store.set("pos.secret", "x")
    with pytest.raises(SecretStoreUnavailable):
        store.get("pos.secret")
    monkeypatch.setenv("JUPEI_POS__SECRET", "env-wins")
    assert store.get("pos.secret") == "env-wins"


def test_memory_store():
    m = MemorySecretStore()
    m.set("a.b", "v")
    assert m.get("a.b") == "v"
    m.delete("a.b")
    assert m.get("a.b") is None


def test_phone_masking():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("021-63500000") == "*******0000"
    assert mask_phones_in("call 13812345678 or 15900001111") == "call 138****5678 or 159****1111"


def test_redaction_filter():
    r = Redactor()
    r.register("sk_live_very_secret")
    rec = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "key %s app_secret=abcd1234 sign:ZZZ phone 13812345678",
        ("sk_live_very_secret",),
        None,
    )
    r.filter(rec)
    msg = rec.getMessage()
    assert "sk_live_very_secret" not in msg and "abcd1234" not in msg and "ZZZ" not in msg
    assert "138****5678" in msg
