"""The signed update feed for JuPei's PyInstaller bundle (tufup: TUF metadata + archives).

    python installer/update_repo.py init    --work DIR
    python installer/update_repo.py add     --work DIR --bundle dist/JuPei --version 0.2.0
    python installer/update_repo.py refresh --work DIR      # re-sign timestamp (daily)

DIR holds ``repository/`` (``metadata/`` + ``targets/``: upload both, as they are, to the
URL set in ``[updates] url``), ``keystore/`` (the private signing keys: keep them OFFLINE,
never in the repo, never on the feed server) and tufup's ``.tufup-repo-config``.
``init`` prints the trusted root: copy ``repository/metadata/root.json`` into every bundle
as ``update_root.json`` before building the installer (see README "Operations").
The timestamp expires after 1 day (freeze protection): run ``refresh`` daily from a
machine that has the timestamp key, or clients refuse the feed as expired.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from pathlib import Path

APP_NAME = "JuPei"  # app.core.updates.APP_NAME


def _repo(work: Path):  # tufup keeps its config in the current directory: chdir to work
    from tufup.repo import Repository

    return Repository(
        app_name=APP_NAME,
        repo_dir=work / "repository",
        keys_dir=work / "keystore",
    )


def init(work: Path) -> Path:
    """Create keys (first time) and the signed root; returns root.json's path."""
    work.mkdir(parents=True, exist_ok=True)
    with contextlib.chdir(work):
        repo = _repo(work)
        repo.save_config()
        repo.initialize()
    return work / "repository" / "metadata" / "root.json"


def add(work: Path, bundle: Path, version: str, *, required: bool = False) -> Path:
    """Archive ``bundle`` as JuPei-<version>.tar.gz, register and sign it. Refuses a
    version not newer than the latest one (no rollback on the feed)."""
    from tufup.common import TargetMeta
    from tufup.repo import Repository

    if not bundle.is_dir():
        raise SystemExit(f"no bundle folder at {bundle}")
    with contextlib.chdir(work):
        repo = Repository.from_config()
        latest = repo.roles.get_latest_archive()
        if (
            latest is not None
            and latest.version >= TargetMeta(name=APP_NAME, version=version).version
        ):
            raise SystemExit(f"version {version} is not newer than {latest.version}")
        repo.add_bundle(new_bundle_dir=bundle, new_version=version, required=required)
        repo.publish_changes(private_key_dirs=[work / "keystore"])
    return work / "repository" / "targets" / f"{APP_NAME}-{version}.tar.gz"


def refresh(work: Path, days: int | None = None) -> None:
    """Re-sign the timestamp with a new expiry date (default: tufup's 1 day from now)."""
    from tufup.repo import Repository

    with contextlib.chdir(work):
        repo = Repository.from_config()
        repo.refresh_expiration_date("timestamp", days=days)
        repo.publish_changes(private_key_dirs=[work / "keystore"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("init", "add", "refresh"):
        sp = sub.add_parser(name)
        sp.add_argument("--work", type=Path, required=True)
        if name == "add":
            sp.add_argument("--bundle", type=Path, required=True)
            sp.add_argument("--version", required=True)
            sp.add_argument("--required", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    work = args.work.resolve()
    if args.cmd == "init":
        root = init(work)
        print(f"trusted root: {root} -> ship it in the bundle as update_root.json")
    elif args.cmd == "add":
        print(f"archive: {add(work, args.bundle.resolve(), args.version, required=args.required)}")
    else:
        refresh(work)
        print("timestamp re-signed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
