"""The house's import arrows (pyproject's [tool.importlinter]) hold, and the check can fail.

import-linter walks a package's folder, while vidseek's subpackages live in separate
top-level folders (setuptools package-dir). So the test lays the package out as a wheel would,
from pyproject's own mapping, and lints that copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _installed_layout(dest: Path) -> Path:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for package, folder in config["tool"]["setuptools"]["package-dir"].items():
        target = dest.joinpath(*package.split("."))
        for source in (ROOT / folder).glob("**/*.py"):
            relative = source.relative_to(ROOT / folder)
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)
    return dest


def _lint(site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        # import-linter puts its working directory first on sys.path: not the repository's root
        [str(LINT_IMPORTS), "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_room_imports_only_what_lies_below_it(tmp_path):
    result = _lint(_installed_layout(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    site = _installed_layout(tmp_path)
    (site / "vidseek" / "core" / "upward.py").write_text("import vidseek.cli.main\n")
    result = _lint(site)
    assert result.returncode != 0
    assert "vidseek.core.upward -> vidseek.cli.main" in result.stdout
