"""A built wheel works on its own: one top-level name, the demo model inside, demo and serve run.

The wheel goes into a throwaway venv. That venv borrows the test venv's third-party packages
through a plain path entry (torch is not installed twice), which does not run the test venv's
editable-install hook, so every ``vidseek`` module it imports comes from the wheel.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCAL_ONLY = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".vidseek")


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    # Built from a copy of the sources: a build/ folder left in the checkout can hold modules
    # that no longer exist, and they would end up in the wheel.
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*LOCAL_ONLY))
    pip = [sys.executable, "-m", "pip"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(source)],
        check=True,
        timeout=600,
    )
    (wheel,) = (tmp / "dist").glob("vidseek-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_path('purelib'))",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "borrowed.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [*pip, "--python", str(venv / "bin" / "python"), "install", "-q", "--no-deps", str(wheel)],
        check=True,
        timeout=300,
    )
    return venv


def _run(venv: Path, *args: str, cwd: Path, timeout: float = 600) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIDSEEK_HOME")}
    result = subprocess.run(
        [str(venv / "bin" / args[0]), *args[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_wheel_installs_one_top_level_name(wheel_venv, tmp_path):
    site = Path(
        _run(
            wheel_venv,
            "python",
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
            cwd=tmp_path,
        ).strip()
    )
    ours = {p.name for p in site.iterdir()} - {"borrowed.pth", "__pycache__"}
    assert {n for n in ours if not n.endswith(".dist-info")} == {"vidseek"}
    where = _run(
        wheel_venv,
        "python",
        "-c",
        "import vidseek.api, vidseek.data, vidseek.cli.main; print(vidseek.data.models_dir())",
        cwd=tmp_path,
    )
    demo_model = Path(where.strip()) / "vidseek-demo"
    assert demo_model.is_relative_to(site)
    assert (demo_model / "open_clip_model.safetensors").stat().st_size > 1_000_000


def test_demo_runs_offline_from_the_wheel(wheel_venv, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = _run(
        wheel_venv,
        "vidseek",
        "--library",
        str(tmp_path / "lib"),
        "demo",
        "--videos",
        "2",
        "--speaking",  # the speaking videos' searches: tests/test_demo_speaking.py
        "0",
        cwd=elsewhere,
    )
    assert "indexed" in out
    assert out.count("1.") >= 1  # at least one ranked result line was printed
    assert (tmp_path / "lib" / "demo" / "catalog.sqlite").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_from_the_wheel_serves_the_web_page(wheel_venv, tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIDSEEK_HOME")}
    server = subprocess.Popen(
        [
            str(wheel_venv / "bin" / "vidseek"),
            "--library",
            str(tmp_path / "lib"),
            "serve",
            "--port",
            str(port),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        page = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    page = response.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert page is not None, (
            server.stderr.read().decode() if server.poll() is not None else "no answer"
        )
        assert "<html" in page.lower()
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/static/app.js", timeout=5
        ) as response:
            assert response.status == 200 and len(response.read()) > 1000
    finally:
        server.terminate()
        server.wait(timeout=30)
