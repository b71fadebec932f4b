"""Jobs that survive anything: `vidseek index` SIGKILLed at seeded points — inside a catalog
transaction, between a snapshot's temp write and its rename, between the snapshot and its
manifest, at a random moment from outside — then re-run, ends exactly like one clean run.

Each crashing run is a real subprocess (``python -m api.cli index``, or just opening the
library for the crashes in rebuild-on-open); crashes inside the process come from the
``VIDSEEK_FAULT`` hook (search/faults.py). The reference run is in-process.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner

from vidseek.cli.commands_check import check_command
from vidseek.cli.context import AppContext
from vidseek.core.library import Library
from vidseek.demo.render import generate_library

N_FILES = 300  # enough that every seeded kill point falls inside a job
MODEL = "vidseek-demo:random"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def many_tiny_videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 mp4 files of 1 s, 96x64, 6 fps (a few seconds to write)."""
    folder = tmp_path_factory.mktemp("many_tiny")
    generate_library(folder, N_FILES, seed=5, duration=(1.0, 1.0), size=(96, 64), fps=6)
    return folder


def _env(fault: str) -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "VIDSEEK_FAULT": fault}
    if not fault:
        env.pop("VIDSEEK_FAULT")
    return env


def index(
    library: Path, media: Path, *, fault: str = "", kill_after: int = 0, workers: int = 1
) -> int:
    """Run `vidseek index` to the end, or until it is killed; returns its exit status.

    ``fault`` sets VIDSEEK_FAULT; ``kill_after`` SIGKILLs it from outside after that many
    files indexed."""
    cmd = [sys.executable, "-m", "vidseek.cli.main", "--library", str(library), "--model", MODEL]
    cmd += ["index", str(media), "--fps", "4", "--no-progress", "--log-json"]
    cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=_env(fault), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    finished = 0
    for line in proc.stderr:
        if not line.startswith("{"):
            sys.stderr.write(line)  # shown by pytest when the test fails
        if kill_after and line.startswith("{") and '"status": "indexed"' in line:
            finished += 1
            if finished == kill_after:
                os.kill(proc.pid, signal.SIGKILL)
    return proc.wait(timeout=300)


def open_library(library: Path, fault: str) -> int:
    """Open the library in a subprocess and reconcile its snapshot; its exit status."""
    code = (
        "import sys; from vidseek.core.library import Library; "
        "lib = Library.open(sys.argv[1]); lib.load_index(); lib.close()"
    )
    cmd = [sys.executable, "-c", code, str(library)]
    return subprocess.run(cmd, cwd=ROOT, env=_env(fault), timeout=120).returncode


def index_in_process(library: Path, media: Path) -> None:
    """The reference: one uninterrupted job, same settings, one torch thread like the CLI runs."""
    import torch

    from vidseek.core.models import load_encoder
    from vidseek.indexer.options import IndexOptions
    from vidseek.indexer.pipeline import index_paths

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with Library.open(library) as lib:
            encoder = load_encoder(MODEL)
            index_paths(lib, encoder, [media], options=IndexOptions(fps=4.0))
    finally:
        torch.set_num_threads(threads)


def contents(library: Path) -> dict[str, object]:
    """Everything a user could observe: per path its status and segments with vectors."""
    with Library.open(library, read_only=True) as lib:
        out: dict[str, object] = {}
        for v in lib.videos():
            segs = lib.segments(v.id)
            ids = [s.id for s in segs]
            by_id = {
                int(i): vec
                for got_ids, vecs in lib.catalog.segment_vectors(lib.model.dim, ids=ids)
                for i, vec in zip(got_ids, vecs, strict=True)
            }
            out[v.path] = (
                v.status,
                v.content_hash,
                v.n_frames,
                [(s.start, s.end) for s in segs],
                np.stack([by_id[i] for i in ids]) if ids else None,
            )
        return out


def searches(library: Path, queries: np.ndarray) -> list[list[tuple[str, float, float, float]]]:
    with Library.open(library, read_only=True) as lib:
        paths = {v.id: v.path for v in lib.videos()}
        return [
            [(paths[h.video_id], h.start, h.end, h.score) for h in hits]
            for hits in lib.search_vectors(queries, 10)
        ]


def test_killed_anywhere_then_resumed_equals_one_clean_run(many_tiny_videos, tmp_path):
    clean, crashed = tmp_path / "clean", tmp_path / "crashed"
    index_in_process(clean, many_tiny_videos)

    rng = random.Random(1234)
    killed = -signal.SIGKILL
    media = many_tiny_videos
    # Inside a video's catalog transaction; then from outside at some moment.
    assert index(crashed, media, fault=f"catalog-commit:{rng.randint(20, 60)}") == killed
    assert index(crashed, media, kill_after=rng.randint(10, 40)) == killed
    # Rebuild-on-open of the stale snapshot: temp written, not renamed; then the new
    # segments.faiss in place but not its manifest.
    assert open_library(crashed, "snapshot-rename:1") == killed
    assert open_library(crashed, "manifest-rename:1") == killed
    fault = f"catalog-commit:{rng.randint(10, 40)}"
    assert index(crashed, media, fault=fault, workers=2) == killed  # parallel decode too
    # The end-of-job save (the first save is rebuild-on-open's), after every commit.
    assert index(crashed, media, fault="snapshot-rename:2") == killed
    assert index(crashed, media) == 0

    want, got = contents(clean), contents(crashed)
    assert sorted(got) == sorted(want)
    assert sum(1 for v in want.values() if v[0] == "indexed") > N_FILES // 2  # rest: copies
    for path, (status, digest, n_frames, spans, vectors) in want.items():
        g_status, g_digest, g_frames, g_spans, g_vectors = got[path]
        assert (g_status, g_digest, g_frames, g_spans) == (status, digest, n_frames, spans), path
        if vectors is not None:
            np.testing.assert_allclose(g_vectors, vectors, atol=1e-5)

    some = np.stack([v[4][0] for v in list(want.values())[::37] if v[4] is not None])
    for a, b in zip(searches(crashed, some), searches(clean, some), strict=True):
        assert [h[:3] for h in a] == [h[:3] for h in b]
        np.testing.assert_allclose([h[3] for h in a], [h[3] for h in b], atol=1e-5)

    group = click.Group(commands={"check": check_command})
    result = CliRunner().invoke(group, ["check"], obj=AppContext(home=crashed))
    assert result.exit_code == 0 and result.output.endswith("clean\n"), result.output
    notes: list[str] = []
    with Library.open(crashed, notify=notes.append):
        pass
    assert notes == []  # the last run left a snapshot that matches the catalog
    assert not list((crashed / "index").glob(".*.tmp"))


def test_sqlite_catalog_is_durable_wal_with_full_sync(tmp_path):
    with Library.open(tmp_path / "lib") as lib, lib.catalog.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_fault_hook_kills_only_at_the_requested_hit(tmp_path):
    code = (
        "from vidseek.core.faults import fault_point\n"
        "for i in range(5):\n"
        "    fault_point('x')\n"
        "    print(i, flush=True)\n"
    )
    env = {**os.environ, "VIDSEEK_FAULT": "y:1,x:3"}
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode == -signal.SIGKILL and run.stdout.split() == ["0", "1"]
    env.pop("VIDSEEK_FAULT")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True)
    assert run.returncode == 0
