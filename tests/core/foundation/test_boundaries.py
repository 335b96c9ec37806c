"""Architecture rules enforced by the suite: no Qt in app/core; app/ui reaches the core
only through ``AppService`` (no http/sql/keyring, no storage, carriers, sandbox, sources, dispatch
or pos, and never ``.dispatcher``/``.gateway``/``.bus``); ``serve`` runs without Qt."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
UI_BANNED = (
    "httpx", "sqlalchemy", "alembic", "aiohttp", "keyring",
    "app.core.storage", "app.core.carriers", "app.core.sandbox", "app.core.dispatch",
    "app.core.pos", "app.core.sources",
)  # fmt: skip
UI_BANNED_ATTRS = frozenset({"dispatcher", "gateway", "bus"})


def _from_names(node: ast.ImportFrom, pkg: list[str]) -> set[str]:
    base = node.module or ""
    if node.level:  # relative: resolve against the file's own package
        pkg = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
        base = ".".join([*pkg, *([node.module] if node.module else [])])
    # ``from app.core import storage`` imports the module app.core.storage
    return {base, *(f"{base}.{a.name}" for a in node.names)}


def _imports(path: Path, root: Path) -> set[str]:
    pkg = list(path.relative_to(root).parts[:-1])  # what "." means in this file
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):  # every import, also inside functions
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names |= _from_names(node, pkg)
    return names


def _violations(folder: str, banned: tuple[str, ...], root: Path = ROOT) -> list[str]:
    bad = []
    for py in sorted((root / folder).rglob("*.py")):
        for name in sorted(_imports(py, root)):
            if name in banned or any(name.startswith(b + ".") for b in banned):
                bad.append(f"{py.relative_to(root).as_posix()} imports {name}")
    return bad


def _attribute_reaches(folder: str, attrs: frozenset[str], root: Path = ROOT) -> list[str]:
    bad = []
    for py in sorted((root / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in attrs:
                bad.append(f"{py.relative_to(root).as_posix()}:{node.lineno} .{node.attr}")
    return bad


def test_core_never_imports_qt():
    assert _violations("app/core", ("PySide6", "qasync", "shiboken6", "app.ui")) == []


def test_ui_imports_only_the_door_and_pure_helpers():
    assert _violations("app/ui", UI_BANNED) == []


def test_ui_never_reaches_past_the_service():
    assert _attribute_reaches("app/ui", UI_BANNED_ATTRS) == []


def test_the_checks_see_relative_and_from_imports(tmp_path):
    # the rules above must not pass merely because they cannot see an import form
    probe = tmp_path / "app" / "ui" / "detail" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text(
        "from ...core import storage\nfrom ..bridge import spawn\n"
        "from app.core import dispatch\nx = svc.dispatcher\n",
        encoding="utf-8",
    )
    found = _violations("app/ui", UI_BANNED, tmp_path)
    assert "app/ui/detail/probe.py imports app.core.storage" in found
    assert "app/ui/detail/probe.py imports app.core.dispatch" in found
    assert not [f for f in found if "bridge" in f]  # app.ui.bridge is allowed
    reaches = _attribute_reaches("app/ui", UI_BANNED_ATTRS, tmp_path)
    assert reaches == ["app/ui/detail/probe.py:4 .dispatcher"]


def test_headless_imports_load_no_qt():
    code = (
        "import sys, app.cli, app.bootstrap, app.core.service\n"
        "import app.core.sandbox.server\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'qasync', 'app.ui'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)
