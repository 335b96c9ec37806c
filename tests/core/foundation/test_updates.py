"""Signed updates end to end (issue 19, item 7): a feed made by installer/update_repo.py,
served on loopback by http.server in a thread, checked and installed by app.core.updates
(tufup). A newer version is installed into a temp install dir; an older one (and older
metadata: rollback) is refused; a tampered archive is refused."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("tufup")

from app.core.config import UpdateSettings
from app.core.updates import ROOT_FILE_NAME, UpdateError, Updater
from tests.fakes.update_feed import bundle, installed, publish, serve, sync, tool


@pytest.fixture
def feed(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    with serve(tmp_path) as f:
        yield f


def _updater(url: str, inst: Path, tmp_path: Path, current: str) -> Updater:
    return Updater(
        UpdateSettings(url=url),
        current_version=current,
        install_dir=inst,
        state_dir=tmp_path / "state",
    )


def test_newer_version_found_and_installed(tmp_path: Path, feed) -> None:
    url, served = feed
    root = publish(tmp_path, served, "0.1.0", "0.2.0")
    inst = installed(tmp_path, "0.1.0", root)
    up = _updater(url, inst, tmp_path, "0.1.0")
    offer = up.check()
    assert offer is not None and offer.version == "0.2.0" and offer.size_bytes > 0
    # consent and a quiet counter are required first
    with pytest.raises(UpdateError) as e:
        up.install(consent=False, live_deliveries=0)
    assert e.value.code == "no_consent"
    with pytest.raises(UpdateError) as e:
        up.install(consent=True, live_deliveries=2)
    assert e.value.code == "busy"
    assert (inst / "_internal" / "VERSION").read_text() == "0.1.0"
    assert up.install(consent=True, live_deliveries=0) == "0.2.0"
    assert (inst / "_internal" / "VERSION").read_text() == "0.2.0"
    assert (inst / "JuPei.exe").read_text() == "jupei 0.2.0\n"
    # the next run (now 0.2.0) finds nothing newer
    assert _updater(url, inst, tmp_path, "0.2.0").check() is None


def test_older_version_on_the_feed_is_notinstalled(tmp_path: Path, feed) -> None:
    url, served = feed
    root = publish(tmp_path, served, "0.1.0")
    inst = installed(tmp_path, "0.3.0", root)
    up = _updater(url, inst, tmp_path, "0.3.0")
    assert up.check() is None
    with pytest.raises(UpdateError) as e:
        up.install(consent=True, live_deliveries=0)
    assert e.value.code == "no_update"
    assert (inst / "_internal" / "VERSION").read_text() == "0.3.0"


def test_the_tool_refuses_to_publish_an_older_version(tmp_path: Path) -> None:
    repo_tool = tool()
    work = tmp_path / "work"
    repo_tool.init(work)
    repo_tool.add(work, bundle(tmp_path, "0.2.0"), "0.2.0")
    with pytest.raises(SystemExit, match="not newer"):
        repo_tool.add(work, bundle(tmp_path, "0.1.0"), "0.1.0")


def test_metadata_rollback_is_refused(tmp_path: Path, feed) -> None:
    """The client saw timestamp version N; a feed (or a man in the middle) serving the
    older, validly signed metadata again is refused (TUF rollback protection)."""
    url, served = feed
    root = publish(tmp_path, served, "0.1.0")
    old = tmp_path / "old-metadata"
    shutil.copytree(served / "metadata", old)
    repo_tool = tool()
    repo_tool.add(tmp_path / "work", bundle(tmp_path, "0.2.0"), "0.2.0")
    sync(tmp_path / "work", served)
    inst = installed(tmp_path, "0.1.0", root)
    assert _updater(url, inst, tmp_path, "0.1.0").check() is not None  # trusts the new one
    shutil.rmtree(served / "metadata")
    shutil.copytree(old, served / "metadata")
    with pytest.raises(UpdateError) as e:
        _updater(url, inst, tmp_path, "0.1.0").check()
    assert e.value.code == "untrusted"
    assert "version" in str(e.value).lower()


def test_expired_timestamp_is_refused_until_the_feed_is_refreshed(tmp_path: Path, feed) -> None:
    """Freeze protection: a feed whose signed timestamp has expired (nobody re-signed it,
    or an attacker replays a stale one) is refused; `update_repo.py refresh` revives it."""
    url, served = feed
    root = publish(tmp_path, served, "0.1.0", "0.2.0")
    work = tmp_path / "work"
    tool().refresh(work, days=-1)  # signed, but expired yesterday
    sync(work, served)
    inst = installed(tmp_path, "0.1.0", root)
    with pytest.raises(UpdateError) as e:
        _updater(url, inst, tmp_path, "0.1.0").check()
    assert e.value.code == "untrusted" and "expired" in str(e.value).lower()
    tool().refresh(work)
    sync(work, served)
    offer = _updater(url, inst, tmp_path, "0.1.0").check()
    assert offer is not None and offer.version == "0.2.0"


def test_tampered_archive_is_refused(tmp_path: Path, feed) -> None:
    url, served = feed
    root = publish(tmp_path, served, "0.1.0", "0.2.0")
    archive = served / "targets" / "JuPei-0.2.0.tar.gz"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same length, one byte flipped
    archive.write_bytes(bytes(data))
    inst = installed(tmp_path, "0.1.0", root)
    up = _updater(url, inst, tmp_path, "0.1.0")
    assert up.check() is not None
    with pytest.raises(UpdateError) as e:
        up.install(consent=True, live_deliveries=0)
    assert e.value.code == "tampered"
    assert (inst / "_internal" / "VERSION").read_text() == "0.1.0"
    assert not list((tmp_path / "state" / "targets").glob("JuPei-0.2.0*"))


def test_metadata_signed_by_another_key_is_refused(tmp_path: Path, feed) -> None:
    url, served = feed
    root = publish(tmp_path, served, "0.1.0")
    inst = installed(tmp_path, "0.1.0", root)
    # a different publisher (other keys) replaces the feed
    shutil.rmtree(served)
    served.mkdir()
    other = tmp_path / "other"
    other.mkdir()
    publish(other, served, "0.1.0", "9.0.0")
    with pytest.raises(UpdateError) as e:
        _updater(url, inst, tmp_path, "0.1.0").check()
    assert e.value.code == "untrusted"


def test_off_not_bundle_no_root_bad_root_unreachable(tmp_path: Path) -> None:
    inst = tmp_path / "install"
    inst.mkdir()
    off = Updater(UpdateSettings(), current_version="0.1.0", install_dir=inst, state_dir=tmp_path)
    assert not off.enabled
    codes = []
    dead = "http://127.0.0.1:9"  # nothing listens on the discard port
    not_bundle = Updater(
        UpdateSettings(url=dead), current_version="0.1.0", install_dir=None, state_dir=tmp_path
    )
    for up in (off, not_bundle, _updater(dead, inst, tmp_path, "0.1.0")):
        with pytest.raises(UpdateError) as e:
            up.check()
        codes.append(e.value.code)
    assert codes == ["off", "not_bundle", "no_root"]
    (inst / ROOT_FILE_NAME).write_text(json.dumps({"signed": {}}), encoding="utf-8")
    with pytest.raises(UpdateError) as e:
        _updater(dead, inst, tmp_path / "s1", "0.1.0").check()
    assert e.value.code == "untrusted"
    shutil.copyfile(tool().init(tmp_path / "work"), inst / ROOT_FILE_NAME)
    with pytest.raises(UpdateError) as e:
        _updater(dead, inst, tmp_path / "s2", "0.1.0").check()
    assert e.value.code == "unreachable"


def test_cli_update_waits_for_the_rush_and_consent_then_installs(
    tmp_path: Path, feed, tmp_data, monkeypatch, capsys
) -> None:
    """`python -m app update --install --yes`: refused while a delivery is live (counted
    from the database, as a running `serve` would leave it), installed once it is done."""
    from app.__main__ import main
    from app.core import updates
    from app.core.domain import DeliveryAttempt, DeliveryStatus
    from app.core.storage.db import make_engine, migrate
    from app.core.storage.repos import Database
    from tests.fakes.clock import FakeClock
    from tests.helpers import sample_order

    url, served = feed
    root = publish(tmp_path, served, "0.1.0", "0.2.0")
    inst = installed(tmp_path, "0.1.0", root)
    monkeypatch.setattr(updates, "bundle_dir", lambda: inst)
    db_url = f"sqlite:///{tmp_path / 'jupei.db'}"
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "{db_url}"\n\n[updates]\nurl = "{url}"\n', encoding="utf-8")
    engine = make_engine(db_url)
    migrate(engine)
    db = Database(engine)
    clock = FakeClock()
    oid = db.insert_orders([(sample_order(), "h1", "pos")], clock.now())[0].order.id
    assert oid is not None
    live = db.insert_attempt(
        DeliveryAttempt(oid, 1, "dada", "JP-1-1", DeliveryStatus.PICKED_UP, created_at=clock.now())
    )
    assert updates.live_deliveries(db_url) == 1

    assert main(["--config", str(cfg), "update"]) == 1
    assert "0.2.0 available" in capsys.readouterr().out
    assert main(["--config", str(cfg), "update", "--install"]) == 2
    assert "[no_consent]" in capsys.readouterr().out
    assert main(["--config", str(cfg), "update", "--install", "--yes"]) == 2
    assert "[busy]" in capsys.readouterr().out
    assert (inst / "_internal" / "VERSION").read_text() == "0.1.0"

    db.save_attempt(live.with_(status=DeliveryStatus.DELIVERED), clock.now())
    assert updates.live_deliveries(db_url) == 0
    engine.dispose()
    assert main(["--config", str(cfg), "update", "--install", "--yes"]) == 0
    assert "0.2.0 installed" in capsys.readouterr().out
    assert (inst / "_internal" / "VERSION").read_text() == "0.2.0"


def test_tool_command_line(tmp_path: Path, capsys) -> None:
    repo_tool = tool()
    work = tmp_path / "w"
    assert repo_tool.main(["init", "--work", str(work)]) == 0
    assert "update_root.json" in capsys.readouterr().out
    b = bundle(tmp_path, "1.0.0")
    assert (
        repo_tool.main(["add", "--work", str(work), "--bundle", str(b), "--version", "1.0.0"]) == 0
    )
    assert (work / "repository" / "targets" / "JuPei-1.0.0.tar.gz").is_file()
    assert repo_tool.main(["refresh", "--work", str(work)]) == 0
    assert "re-signed" in capsys.readouterr().out
    # the private keys stay in keystore/, never in what is uploaded
    published = {p.name for p in (work / "repository").rglob("*") if p.is_file()}
    assert not [n for n in published if n in {"root", "targets", "snapshot", "timestamp"}]
    assert (work / "keystore" / "root").is_file()
    with pytest.raises(SystemExit, match="no bundle"):
        repo_tool.main(["add", "--work", str(work), "--bundle", str(tmp_path / "nope"), "--version", "2.0.0"])  # fmt: skip


def test_the_client_works_where_setuptools_is_left_out(tmp_path: Path, feed, monkeypatch) -> None:
    """The bundle excludes setuptools (build.spec); tufup's package imports it for its
    publishing side only: the client must still load and install there."""
    import sys

    url, served = feed
    root = publish(tmp_path, served, "0.1.0", "0.2.0")  # publishing has the real setuptools
    for name in [n for n in sys.modules if n == "tufup" or n.startswith("tufup.")]:
        monkeypatch.delitem(sys.modules, name)  # restored after the test
    for name in ("setuptools", "setuptools.config", "setuptools.config.expand"):
        monkeypatch.setitem(sys.modules, name, None)  # importing it raises ModuleNotFoundError
    with pytest.raises(ModuleNotFoundError):
        import setuptools.config.expand  # noqa: F401
    inst = installed(tmp_path, "0.1.0", root)
    up = _updater(url, inst, tmp_path, "0.1.0")
    assert up.check() is not None
    stand_in = sys.modules["setuptools"]
    assert stand_in is not None and not hasattr(stand_in, "setup")  # the empty stand-in
    assert up.install(consent=True, live_deliveries=0) == "0.2.0"
    assert (inst / "_internal" / "VERSION").read_text() == "0.2.0"


def test_windows_install_is_deferred_to_exit_and_does_not_end_the_app(
    tmp_path: Path, feed, monkeypatch
) -> None:
    """On Windows tufup starts a batch script that moves the files after JuPei exits, then
    calls sys.exit: that is caught (no SystemExit out of install), the unpacked files stay
    for the script, and the caller is told the install finishes at exit."""
    import tufup.utils.platform_specific as tufup_platform

    from app.core import updates

    calls: list[tuple[Path, Path, bool]] = []

    def fake_install_update(src_dir, dst_dir, purge_dst_dir=False, **_):
        calls.append((Path(src_dir), Path(dst_dir), purge_dst_dir))
        raise SystemExit(0)  # what tufup does after starting the script

    monkeypatch.setattr(tufup_platform, "install_update", fake_install_update)
    monkeypatch.setattr(updates, "_default_installer", lambda: updates._windows_install)
    url, served = feed
    root = publish(tmp_path, served, "0.1.0", "0.2.0")
    inst = installed(tmp_path, "0.1.0", root)
    up = _updater(url, inst, tmp_path, "0.1.0")
    assert up.check() is not None
    assert up.install(consent=True, live_deliveries=0) == "0.2.0"
    assert up.deferred
    ((src, dst, purge),) = calls
    assert dst == inst and not purge  # never purges the install dir
    assert (src / "_internal" / "VERSION").read_text() == "0.2.0"  # left for the script
    assert (inst / "_internal" / "VERSION").read_text() == "0.1.0"  # moved only at exit
