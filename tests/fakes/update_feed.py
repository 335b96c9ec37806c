"""A signed update feed for tests: made by installer/update_repo.py (tufup), served by
http.server on 127.0.0.1 in a thread; fake bundles with a VERSION file."""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from app.core.updates import ROOT_FILE_NAME

ROOT = Path(__file__).resolve().parents[2]


def tool():
    spec = importlib.util.spec_from_file_location("update_repo", ROOT / "installer/update_repo.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def serve(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, the served repository dir) on 127.0.0.1, any free port."""
    repo_dir = tmp_path / "pub" / "repository"
    repo_dir.mkdir(parents=True)
    handler = functools.partial(_Quiet, directory=str(repo_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", repo_dir
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def bundle(tmp_path: Path, version: str) -> Path:
    b = tmp_path / f"bundle-{version}"
    (b / "_internal").mkdir(parents=True, exist_ok=True)
    (b / "JuPei.exe").write_text(f"jupei {version}\n", encoding="utf-8")
    (b / "_internal" / "VERSION").write_text(version, encoding="utf-8")
    return b


def publish(tmp_path: Path, served: Path, *versions: str) -> Path:
    """Make the feed with the tool (work dir = keys + repository), copy it to the served
    dir; returns the trusted root.json."""
    repo_tool = tool()
    work = tmp_path / "work"
    root = repo_tool.init(work)
    for v in versions:
        archive = repo_tool.add(work, bundle(tmp_path, v), v)
        assert archive.is_file()
    sync(work, served)
    return root


def sync(work: Path, served: Path) -> None:
    shutil.copytree(work / "repository", served, dirs_exist_ok=True)


def installed(tmp_path: Path, version: str, root: Path) -> Path:
    inst = tmp_path / "install"
    shutil.copytree(bundle(tmp_path, version), inst, dirs_exist_ok=True)
    shutil.copyfile(root, inst / "_internal" / ROOT_FILE_NAME)  # where build.spec puts it
    return inst
