"""One resource resolver for a checkout, a PyInstaller bundle and a non-editable
``pip install .`` (issue 13, defect 2: that install found no templates, sounds, icons or
translations because two of three resolvers looked next to the package)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from app.core import resources
from app.core.printing import templates
from app.ui import resources as ui_resources

ROOT = Path(__file__).resolve().parents[3]


def test_checkout_has_every_expected_resource():
    assert resources.missing() == []
    assert resources.resources_dir() == ROOT / "resources"
    assert templates.bundled_dir() == ROOT / "resources" / "templates"
    assert ui_resources.sound("new_order.wav").is_file()
    assert ui_resources.icon_path().is_file()
    assert (ui_resources.i18n_dir() / "jupei_en.qm").is_file()


def test_frozen_bundle_comes_first(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    (tmp_path / "resources" / "templates").mkdir(parents=True)
    options = resources.candidates()
    assert options[0] == tmp_path / "resources"
    assert resources.first_present(options) == tmp_path / "resources"


def test_data_files_prefix_is_a_candidate_and_found_when_alone(tmp_path):
    options = resources.candidates()
    assert Path(sys.prefix) / "share" / "jupei" / "resources" in options
    prefix = tmp_path / "share" / "jupei" / "resources"
    (prefix / "templates").mkdir(parents=True)
    # neither a bundle nor a checkout: the data-files folder of the install wins
    assert resources.first_present([tmp_path / "nowhere", prefix]) == prefix
    assert resources.first_present([tmp_path / "a", tmp_path / "b"]) == tmp_path / "a"


@pytest.mark.slow
def test_non_editable_install_finds_its_resources(tmp_path):
    """Build the wheel, install it without deps into a fresh venv and, from outside the
    checkout, ask both the core and the UI where their resources are."""
    wheels, venv = tmp_path / "dist", tmp_path / "venv"
    src = tmp_path / "src"  # a copy, so the build leaves nothing in the checkout
    for name in ("app", "resources", "pyproject.toml", "README.md"):
        _copy(ROOT / name, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    # build isolation fetches the build backend pyproject.toml asks for (setuptools>=69)
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(src)], check=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    wheel = next(wheels.glob("jupei-*.whl"))
    subprocess.run([*pip, "--python", str(py), "install", "--no-deps", str(wheel)], check=True)
    probe = (
        "import app; from app.core import resources; from app.ui import resources as ui;"
        "from app.core.printing import templates as t;"
        "print(app.__file__); print(resources.missing()); print(t.load('standard').name);"
        "print(ui.sound('new_order.wav').is_file(), ui.icon_path().is_file())"
    )
    # the project venv's packages for the dependencies (not .pth-processed: no editable app)
    env = dict(os.environ, PYTHONPATH=sysconfig.get_path("purelib"))
    out = subprocess.run(
        [str(py), "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    where, missing, template, ui_found = out.stdout.splitlines()
    assert where.startswith(str(venv)), where
    assert (missing, template, ui_found) == ("[]", "standard", "True True")


def _copy(src: Path, dst: Path) -> None:
    import shutil

    if src.is_dir():
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    else:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
