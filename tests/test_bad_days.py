"""A damaged catalog and a full disk give one clear line (CLI) or a clear status (HTTP), never
a traceback, and `vidseek check` reports the damage instead of dying on it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from tests.api_server import built_library, live_server, server_config
from vidseek.core.catalog.engine import make_engine
from vidseek.core.errors import CatalogError, StorageFull
from vidseek.core.snapshot import atomic_write


def _vidseek(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vidseek.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def damaged_library(tmp_path):
    home = built_library().copy(tmp_path / "library").home
    catalog = home / "catalog.sqlite"
    for name in ("catalog.sqlite-wal", "catalog.sqlite-shm"):
        (home / name).unlink(missing_ok=True)
    data = bytearray(catalog.read_bytes())
    page = 4096
    for offset in range(page, len(data) - page, 3 * page):  # scramble every third page
        data[offset : offset + page] = os.urandom(page)
    catalog.write_bytes(bytes(data))
    return home


def test_check_reports_a_damaged_catalog_and_exits_1(damaged_library):
    result = _vidseek("--library", str(damaged_library), "check")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "problem [catalog]: catalog:" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["videos", "list"], ["search", "a circle"], ["info"]])
def test_other_commands_say_it_in_one_line(damaged_library, command):
    result = _vidseek("--library", str(damaged_library), *command)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: the catalog at") and "damaged" in lines[0]
    assert lines[-1].startswith("hint: restore catalog.sqlite from a backup")


def test_a_full_catalog_is_storage_full(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'full.sqlite'}")
    with pytest.raises(StorageFull):
        with engine.begin() as conn:
            conn.execute(text("PRAGMA max_page_count=8"))
            conn.execute(text("CREATE TABLE t (blob BLOB)"))
            for _ in range(100):
                conn.execute(text("INSERT INTO t VALUES (zeroblob(4096))"))


def test_a_full_disk_while_saving_the_index_is_storage_full(tmp_path, monkeypatch):
    import errno

    real_fdopen = os.fdopen

    class Full:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: Full(real_fdopen(fd, mode)))
    with pytest.raises(StorageFull):
        atomic_write(tmp_path / "segments.faiss", b"x" * 10, fault="test")
    assert list(tmp_path.iterdir()) == []  # the temp file is gone too


def test_the_server_answers_507_when_the_disk_is_full(tmp_path, monkeypatch):
    library = built_library().copy(tmp_path / "library")
    with live_server(server_config(library)) as server, server.client() as client:
        video_id = client.get("/videos").json()["videos"][0]["id"]

        def full(*args, **kwargs):
            raise StorageFull("no space left to write the catalog")

        monkeypatch.setattr(type(server.app.state.services.state.library), "remove_video", full)
        response = client.delete(f"/videos/{video_id}")
        assert response.status_code == 507
        assert response.json()["error"]["code"] == "storage_full"
        assert client.get("/health").status_code == 200


def test_a_damaged_catalog_is_a_catalog_error_in_python(damaged_library):
    from vidseek.core.library import Library

    with pytest.raises(CatalogError):
        with Library.open(damaged_library) as library:
            library.videos()
