"""The catalog on a real PostgreSQL server, claims, and several indexers on one library.

End-to-end CLI flows run on SQLite and PostgreSQL alike. The server is ``$VIDSEEK_TEST_PG_URL``
or a throwaway cluster (``tests/pg_server.py``); without one these tests fail in CI and are
skipped locally.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import func, inspect, select

from tests.pg_server import fresh_database
from tests.test_library import MODEL, Notes, make_commit
from vidseek.cli.main import cli
from vidseek.core.catalog import Catalog
from vidseek.core.catalog.claims import ClaimBoard
from vidseek.core.catalog.schema import Base, Segment, Video
from vidseek.core.library import Library
from vidseek.core.models import load_encoder
from vidseek.demo.render import generate_library
from vidseek.indexer.discover import content_hash
from vidseek.indexer.embed import WorkItem
from vidseek.indexer.executors import InlineExecutor
from vidseek.indexer.options import IndexOptions
from vidseek.indexer.pipeline import index_paths

ROOT = Path(__file__).resolve().parents[1]
DEMO = "vidseek-demo:random"
BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
def catalog_url(request: pytest.FixtureRequest) -> str | None:
    """None (SQLite inside the library folder) or a fresh PostgreSQL database."""
    return fresh_database() if request.param == "postgres" else None


@pytest.fixture
def pg_url() -> str:
    return fresh_database()


@pytest.fixture(scope="module")
def tiny_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    generate_library(folder, 3, seed=5, duration=(1.0, 2.0), size=(96, 64), fps=8)
    return folder


def run(library: Path, url: str | None, *args: str):
    prefix = ["--library", str(library), "--model", DEMO]
    prefix += ["--catalog-url", url] if url else []
    return CliRunner().invoke(cli, [*prefix, *args], catch_exceptions=False)


def summary(output: str) -> tuple[int, int, int]:
    m = re.search(r"indexed (\d+), unchanged (\d+), failed (\d+)", output)
    assert m, output
    return int(m[1]), int(m[2]), int(m[3])


# --- the catalog itself -----------------------------------------------------------------------


def test_end_to_end_index_search_reindex_remove(catalog_url, tiny_media, tmp_path) -> None:
    lib = tmp_path / "lib"
    first = run(lib, catalog_url, "index", "--no-progress", str(tiny_media))
    assert first.exit_code == 0, first.output
    assert summary(first.output) == (3, 0, 0)
    found = json.loads(run(lib, catalog_url, "search", "a red circle", "--json", "-k", "5").output)
    assert found["results"] and all(r["end"] > r["start"] for r in found["results"])
    again = run(lib, catalog_url, "index", "--no-progress", str(tiny_media))
    assert summary(again.output) == (0, 3, 0) and "(0 frames" in again.output
    listed = run(lib, catalog_url, "videos", "list", "--json").output.splitlines()
    gone = json.loads(listed[0])["id"]
    assert run(lib, catalog_url, "videos", "remove", str(gone)).exit_code == 0
    info = json.loads(run(lib, catalog_url, "info", "--json").output)
    assert info["videos"] == 2 and info["catalog_bytes"] > 0
    after = json.loads(run(lib, catalog_url, "search", "a square", "--json", "-k", "50").output)
    assert after["results"] and gone not in {r["video_id"] for r in after["results"]}
    notes = Notes()
    with Library.open(lib, catalog_url=catalog_url, read_only=True, notify=notes) as opened:
        assert opened.count_videos("indexed") == 2
    assert notes == []  # the snapshot agreed with the catalog


def test_postgres_schema_matches_the_models_and_vectors_round_trip(pg_url) -> None:
    cat = Catalog.open(pg_url)
    insp = inspect(cat.engine)
    for table in Base.metadata.sorted_tables:
        assert {c["name"] for c in insp.get_columns(table.name)} == set(table.columns.keys())
    commit = make_commit("/v/a.mp4", seed=1)
    record, removed, ids = cat.replace_video(commit, MODEL.dim)
    assert not len(removed) and len(ids) == len(commit.segments)
    got_ids, got = next(cat.segment_vectors(MODEL.dim))
    assert got_ids.tolist() == ids.tolist()
    assert np.array_equal(got, np.stack([s.vector for s in commit.segments]))  # bit-exact
    _, removed2, ids2 = cat.replace_video(make_commit("/v/a.mp4", seed=2), MODEL.dim)
    assert sorted(removed2.tolist()) == sorted(ids.tolist()) and min(ids2) > max(ids)
    assert cat.count_videos() == 1 and cat.find_by_hash("hash-2").id != record.id
    cat.close()


def test_processes_opening_a_new_postgres_catalog_at_once_migrate_it_once(pg_url) -> None:
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            Catalog.open(pg_url).close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# --- claims -----------------------------------------------------------------------------------


@pytest.fixture
def engine_of(catalog_url, tmp_path):
    url = catalog_url or f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    cat = Catalog.open(url)
    yield cat.engine
    cat.close()


def test_a_claim_is_exclusive_until_released(engine_of) -> None:
    a, b = ClaimBoard(engine_of), ClaimBoard(engine_of)
    assert a.try_claim("h1", "/v/1.mp4")
    assert a.try_claim("h1")  # idempotent for its owner
    assert not b.try_claim("h1")
    assert b.holder("h1").owner == a.owner and not b.holder("h1").expired
    a.release("h1")
    assert b.holder("h1") is None and b.try_claim("h1")
    b.close()
    assert a.holder("h1") is None  # closing releases everything still held


def test_an_expired_lease_is_taken_over_and_a_heartbeat_keeps_it(engine_of) -> None:
    remote = ClaimBoard(engine_of, lease_s=0.4, owner="elsewhere:1:dead")
    assert remote.try_claim("h2")
    local = ClaimBoard(engine_of)
    assert not local.try_claim("h2")
    time.sleep(0.6)
    assert local.try_claim("h2")  # the remote owner stopped renewing
    assert local.holder("h2").owner == local.owner
    with ClaimBoard(engine_of, lease_s=0.3, owner="elsewhere:2:alive") as beating:
        assert beating.try_claim("h3")
        time.sleep(0.8)  # more than two leases: only the heartbeat keeps it
        assert not local.try_claim("h3")
    local.close()


def test_a_dead_process_of_this_host_loses_its_claims_at_once(engine_of) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    host = socket.gethostname()
    dead = ClaimBoard(engine_of, owner=f"{host}:{proc.pid}:gone")
    assert dead.try_claim("h4")
    assert ClaimBoard(engine_of).try_claim("h4")


# --- several writers on one library -------------------------------------------------------------


def test_writers_in_batches_never_drop_each_others_segments(catalog_url, tmp_path) -> None:
    notes = Notes()
    a = Library.open(tmp_path, catalog_url=catalog_url, notify=notes)
    a.bind_model(MODEL)
    b = Library.open(tmp_path, catalog_url=catalog_url, notify=notes)
    b.bind_model(MODEL)
    with a.batch(), b.batch():
        for i in range(3):
            a.commit_video(make_commit(f"/a/{i}.mp4", seed=i))
            b.commit_video(make_commit(f"/b/{i}.mp4", seed=10 + i))
        a.remove_video(a.find_video_by_path("/b/0.mp4").id)  # removes the other's work
    # b saved last (inner batch exits first, then a): either way the snapshot is complete.
    a.close()
    b.close()
    with Library.open(tmp_path, catalog_url=catalog_url, notify=notes) as lib:
        assert lib.stats_segments() == 5 * 5
        assert {v.path for v in lib.videos()} == {f"/a/{i}.mp4" for i in range(3)} | {
            "/b/1.mp4",
            "/b/2.mp4",
        }
        probe = make_commit("/b/2.mp4", seed=12).segments[3].vector
        assert lib.search_vectors(probe, 1)[0][0].score == pytest.approx(1.0, abs=1e-5)
    assert notes == []  # no rebuild was ever needed


def test_a_job_takes_over_the_file_of_a_crashed_process(pg_url, tiny_media, tmp_path) -> None:
    files = sorted(tiny_media.glob("*.mp4"))
    lib = Library.open(tmp_path / "lib", catalog_url=pg_url)
    crashed = ClaimBoard(lib.catalog.engine, lease_s=1.0, owner="otherhost:7:crashed")
    assert crashed.try_claim(content_hash(files[0]), str(files[0]))  # and never renews
    report = index_paths(lib, load_encoder(DEMO), files)
    assert len(report.of("indexed")) == len(files)  # including the one it had to wait for
    assert crashed.holder(content_hash(files[0])) is None
    lib.close()


def _spawn_index(home: Path, url: str, folder: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    code = "from vidseek.cli.main import main; main()"
    args = ["--library", str(home), "--model", DEMO, "--catalog-url", url]
    return subprocess.Popen(
        [sys.executable, "-c", code, *args, "index", "--no-progress", str(folder)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_index_processes_split_the_work_exactly_once(pg_url, tmp_path) -> None:
    folder = tmp_path / "media"
    generate_library(folder, 20, seed=21, duration=(1.0, 1.6), size=(96, 64), fps=6)
    assert len({content_hash(p) for p in folder.glob("*.mp4")}) == 20
    home = tmp_path / "lib"
    procs = [_spawn_index(home, pg_url, folder) for _ in range(2)]
    outputs = [p.communicate(timeout=240)[0] for p in procs]
    for proc, out in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out
    counts = [summary(out) for out in outputs]
    print("split (indexed, unchanged, failed) per process:", counts)
    assert sum(c[0] for c in counts) == 20  # every file embedded exactly once
    assert all(c[0] + c[1] == 20 and c[2] == 0 for c in counts)  # each reports all 20

    cat = Catalog.open(pg_url)
    with cat.engine.connect() as conn:
        assert conn.scalar(select(func.count(Video.id))) == 20
        assert conn.scalar(select(func.count(func.distinct(Video.content_hash)))) == 20
        per_video = conn.execute(
            select(Video.n_segments, func.count(Segment.id))
            .join(Segment, Segment.video_id == Video.id)
            .group_by(Video.id)
        ).all()
    cat.close()
    assert len(per_video) == 20 and all(n == got for n, got in per_video)

    notes = Notes()
    with Library.open(home, catalog_url=pg_url, notify=notes) as lib:
        assert lib.stats_segments() == sum(n for n, _ in per_video)
    assert notes == []  # the last snapshot held both processes' segments
    found = run(home, pg_url, "search", "a blue triangle", "--json", "-k", "3")
    assert len(json.loads(found.output)["results"]) == 3


def test_a_file_another_live_process_holds_is_reported_not_redone(pg_url, tiny_media, tmp_path):
    files = sorted(tiny_media.glob("*.mp4"))
    encoder = load_encoder(DEMO)
    lib = Library.open(tmp_path / "lib", catalog_url=pg_url)
    lib.bind_model(encoder.identity)
    other = Library.open(tmp_path / "lib", catalog_url=pg_url)
    held = WorkItem(files[0], content_hash(files[0]), files[0].stat().st_size, 0.0)
    with ClaimBoard(other.catalog.engine, owner="otherhost:8:alive") as foreign:
        assert foreign.try_claim(held.content_hash, str(held.path))

        def finish_it_later() -> None:
            time.sleep(1.0)
            ((_, result),) = InlineExecutor().map([held], encoder, IndexOptions(), lambda n: None)
            other.commit_video(result)
            foreign.release(held.content_hash)

        worker = threading.Thread(target=finish_it_later)
        worker.start()
        report = index_paths(lib, encoder, files)
        worker.join()
    assert {o.path for o in report.of("indexed")} == set(files[1:])
    (skipped,) = report.of("unchanged")
    assert skipped.path == files[0] and skipped.reason == "indexed by another process"
    assert lib.count_videos("indexed") == len(files)
    lib.close()
    other.close()
