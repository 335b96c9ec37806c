"""Architecture rules enforced by the suite: no Qt in app/core, no httpx/sqlalchemy in
app/ui, and ``serve`` runs without importing Qt."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):  # every import, also inside functions
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _violations(folder: str, banned: tuple[str, ...]) -> list[str]:
    bad = []
    for py in sorted((ROOT / folder).rglob("*.py")):
        for name in _imports(py):
            if name in banned or any(name.startswith(b + ".") for b in banned):
                bad.append(f"{py.relative_to(ROOT)} imports {name}")
    return bad


def test_core_never_imports_qt():
    assert _violations("app/core", ("PySide6", "qasync", "shiboken6", "app.ui")) == []


def test_ui_never_imports_http_or_sql():
    assert _violations("app/ui", ("httpx", "sqlalchemy", "alembic", "aiohttp")) == []


def test_headless_imports_load_no_qt():
    code = (
        "import sys, app.cli, app.bootstrap, app.core.service\n"
        "import app.core.sandbox.server\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'qasync', 'app.ui'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)
