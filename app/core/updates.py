"""Signed updates of the PyInstaller bundle (issue 19, item 7), with tufup.

The feed is a TUF repository made by ``installer/update_repo.py``: ``<url>/metadata/``
(root, timestamp, snapshot, targets — signed) and ``<url>/targets/`` (``JuPei-<ver>.tar.gz``
archives). tufup's client (python-tuf's ngclient underneath) verifies every signature, the
metadata versions (rollback and freeze protection: an older or expired timestamp is
refused) and each archive's length and hashes before anything is unpacked. Nothing here
is hand-rolled TUF.

Blocking (``requests`` underneath): the UI calls :meth:`Updater.check` and
:meth:`Updater.install` through ``asyncio.to_thread``. Installing needs the manager's
consent and no live delivery (never during a rush). No Qt here.
"""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.config import UpdateSettings

log = logging.getLogger(__name__)

APP_NAME = "JuPei"  # the archive name on the feed: JuPei-<version>.tar.gz
ROOT_FILE_NAME = "update_root.json"  # the trusted root metadata shipped in the bundle
_PRE = {"stable": None, "beta": "b"}  # channel -> tufup's pre-release level

# (unpacked new bundle, install dir) -> True when the files move only after JuPei exits
Installer = Callable[[Path, Path], bool]


class UpdateError(Exception):
    """``code``: off | unavailable | not_bundle | no_root | unreachable | untrusted |
    tampered | no_consent | busy | no_update | failed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class UpdateOffer:
    version: str
    size_bytes: int
    required: bool


def bundle_dir() -> Path | None:
    """The PyInstaller bundle's folder, or None when running from source or a wheel
    (then updates come from pip, not from the feed)."""
    if not getattr(sys, "frozen", False):
        return None
    exe = Path(sys.executable).resolve()
    if sys.platform == "darwin" and exe.parents[2].suffix == ".app":  # pragma: no cover
        return exe.parents[2]  # JuPei.app/Contents/MacOS/JuPei: the .app is archived whole
    return exe.parent


def live_deliveries(database_url: str) -> int:
    """Deliveries a carrier is working on right now (the rush check), from the database;
    also counts those of a ``serve`` running in another process."""
    from app.core.storage.db import make_engine
    from app.core.storage.repos import Database

    if database_url.startswith("sqlite:///"):
        path = database_url.removeprefix("sqlite:///")
        if path and path != ":memory:" and not Path(path).exists():
            return 0  # no database yet: nothing can be live
    engine = make_engine(database_url)
    try:
        return len(Database(engine).live_attempts())
    finally:
        engine.dispose()


def copy_install(src_dir: Path, dst_dir: Path) -> bool:
    """Copy the unpacked bundle over the install dir (files replaced, none removed), as
    tufup's macOS installer does; Linux, macOS and tests. Returns False: done now."""
    dst_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src_dir, dst_dir, dirs_exist_ok=True)
    return False


def _windows_install(src: Path, dst: Path) -> bool:
    """tufup's Windows installer: a batch script (robocopy /move, retrying) that moves the
    files once JuPei has exited — running files are locked on Windows. tufup then calls
    ``sys.exit``; here that would end a worker thread or unwind the caller, so it is
    caught: the caller tells the user to close JuPei. Returns True: deferred."""
    from tufup.utils.platform_specific import install_update

    try:
        install_update(src_dir=src, dst_dir=dst, purge_dst_dir=False)
    except SystemExit:
        pass
    return True


def _default_installer() -> Installer:
    return _windows_install if sys.platform == "win32" else copy_install


def _tufup_client() -> Any:
    """tufup's ``Client``. tufup's package imports its publishing side, which imports
    ``setuptools.config.expand`` (only to read a version attribute when publishing); the
    PyInstaller bundle leaves setuptools out (build.spec, for size), so there an empty
    stand-in module is registered for that one import. The client never uses it."""
    try:
        from tufup.client import Client
    except ModuleNotFoundError as e:
        if not (e.name or "").startswith("setuptools"):
            raise
        import types

        for name in ("setuptools", "setuptools.config", "setuptools.config.expand"):
            sys.modules[name] = types.ModuleType(name)
        from tufup.client import Client
    return Client


class Updater:
    """One check-then-install session against the feed (a tufup client refreshes the
    metadata once in its lifetime, so a new check makes a new client)."""

    def __init__(
        self,
        settings: UpdateSettings,
        *,
        current_version: str,
        install_dir: Path | None,
        state_dir: Path,
    ) -> None:
        self.settings = settings
        self.current_version = current_version
        self.install_dir = install_dir
        self.state_dir = state_dir
        self._client: Any = None
        self._offer: UpdateOffer | None = None
        self.deferred = False  # the last install finishes when JuPei exits (Windows)

    @property
    def enabled(self) -> bool:
        return bool(self.settings.url.strip())

    def _root_file(self) -> Path:
        if self.settings.root_file:
            return Path(self.settings.root_file)
        if self.install_dir is None:
            raise UpdateError("not_bundle", "not running from the installed bundle")
        # beside the executable, or in PyInstaller's contents folder (build.spec's datas)
        inside = ("", "_internal", "Contents/Resources", "Contents/Frameworks")  # win/linux, mac
        for folder in (self.install_dir / sub for sub in inside):
            if (folder / ROOT_FILE_NAME).is_file():
                return folder / ROOT_FILE_NAME
        return self.install_dir / ROOT_FILE_NAME

    def _new_client(self) -> Any:
        if not self.enabled:
            raise UpdateError("off", "[updates] url is empty")
        if self.install_dir is None:
            raise UpdateError("not_bundle", "not running from the installed bundle")
        try:
            client_class = _tufup_client()
        except ImportError as e:  # the optional extra `updates` is not installed
            raise UpdateError("unavailable", f"tufup is not installed ({e})") from e
        meta_dir = self.state_dir / "metadata"
        target_dir = self.state_dir / "targets"
        meta_dir.mkdir(parents=True, exist_ok=True)
        target_dir.mkdir(parents=True, exist_ok=True)
        trusted = meta_dir / "root.json"
        if not trusted.exists():
            # first run: bootstrap trust from the root shipped inside the bundle; from then
            # on the client keeps (and rotates) its own copy
            shipped = self._root_file()
            if not shipped.is_file():
                raise UpdateError("no_root", f"no trusted root metadata at {shipped}")
            shutil.copyfile(shipped, trusted)
        base = self.settings.url.rstrip("/")
        try:
            return client_class(
                app_name=APP_NAME,
                app_install_dir=self.install_dir,
                current_version=self.current_version,
                metadata_dir=meta_dir,
                metadata_base_url=f"{base}/metadata/",
                target_dir=target_dir,
                target_base_url=f"{base}/targets/",
                extract_dir=self.state_dir / "extract",
            )
        except Exception as e:  # the trusted root itself does not load or verify
            raise UpdateError("untrusted", f"trusted root metadata refused: {e}") from e

    def check(self) -> UpdateOffer | None:
        """A newer signed version on the channel, or None. Raises :class:`UpdateError`
        when the feed cannot be reached or its metadata does not verify."""
        from tuf.api.exceptions import DownloadError, RepositoryError

        client = self._new_client()
        try:
            # tufup swallows download/signature errors of the refresh (returns None):
            # refresh first ourselves so "unreachable"/"untrusted" are not "up to date"
            client.refresh()
        except DownloadError as e:
            raise UpdateError("unreachable", f"update feed unreachable: {e}") from e
        except RepositoryError as e:  # bad signature, rollback, expired (freeze), ...
            raise UpdateError("untrusted", f"update metadata refused: {e}") from e
        client.refresh = lambda: None  # done once above; tufup would refresh again
        meta = client.check_for_updates(pre=_PRE[self.settings.channel])
        self._client = client
        if meta is None:
            self._offer = None
            return None
        info = client.new_archive_info
        self._offer = UpdateOffer(
            version=str(meta.version),
            size_bytes=int(info.length) if info is not None else 0,
            required=bool((meta.custom_internal or {}).get("required")),
        )
        log.info("update %s available (now %s)", self._offer.version, self.current_version)
        return self._offer

    def install(
        self, *, consent: bool, live_deliveries: int, installer: Installer | None = None
    ) -> str:
        """Download, verify, unpack and install the offer of the last :meth:`check`.
        Returns the installed version."""
        from tuf.api.exceptions import DownloadError, RepositoryError

        if not consent:
            raise UpdateError("no_consent", "the manager has not agreed to install")
        if live_deliveries > 0:
            raise UpdateError(
                "busy", f"{live_deliveries} deliveries are live: install after the rush"
            )
        if self._client is None or self._offer is None:
            raise UpdateError("no_update", "no newer version was found (check first)")
        if self.install_dir is None:  # pragma: no cover - _new_client refused already
            raise UpdateError("not_bundle", "not running from the installed bundle")
        extract = self.state_dir / "extract"
        shutil.rmtree(extract, ignore_errors=True)  # only this download gets installed
        extract.mkdir(parents=True)
        run = installer or _default_installer()
        done: list[bool] = []

        def install(src_dir: Path, dst_dir: Path, **_: Any) -> None:
            done.append(run(Path(src_dir), Path(dst_dir)))

        try:
            self._client.download_and_apply_update(skip_confirmation=True, install=install)
        except RepositoryError as e:  # length or hash mismatch: a tampered archive
            raise UpdateError("tampered", f"update archive refused: {e}") from e
        except DownloadError as e:
            raise UpdateError("unreachable", f"update download failed: {e}") from e
        finally:
            if not any(done):  # a deferred install moves the files from there later
                shutil.rmtree(extract, ignore_errors=True)
        if not done:  # tufup logged why (e.g. a patch that did not verify)
            raise UpdateError("failed", "the update was not installed (see the log)")
        version = self._offer.version
        self.deferred = done[0]
        log.info(
            "update %s %s %s",
            version,
            "moves when JuPei exits, into" if self.deferred else "installed into",
            self.install_dir,
        )
        self._client = None
        self._offer = None
        return version
