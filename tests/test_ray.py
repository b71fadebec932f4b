"""``--executor ray``: decode + embed as Ray actor tasks on a local 2-CPU Ray instance, with
results identical to the inline executor and committed by the same writer."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.conftest import skip_or_fail_in_ci
from vidseek.cli.main import cli
from vidseek.core.errors import VidseekError
from vidseek.core.library import Library
from vidseek.core.models import load_encoder
from vidseek.demo.render import generate_library
from vidseek.indexer.decode import default_decoder
from vidseek.indexer.embed import WorkItem
from vidseek.indexer.frames import Decoder
from vidseek.indexer.options import IndexOptions
from vidseek.indexer.pipeline import index_paths
from vidseek.indexer.ray_executor import RayExecutor, RayOptions

try:
    import ray
except ImportError:
    skip_or_fail_in_ci("needs Ray (pip install -e '.[test]' installs it)")

DEMO = "vidseek-demo:random"


@pytest.fixture(scope="module")
def local_ray():
    """One small local Ray instance for the module (start-up costs seconds)."""
    started = not ray.is_initialized()
    if started:
        for attempt in range(
            2
        ):  # Ray waits a fixed 30 s for its raylet: a busy machine can miss it
            try:
                ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
                break
            except Exception as exc:
                ray.shutdown()
                if attempt or "timed out during startup" not in str(exc):
                    raise
    yield
    if started:
        ray.shutdown()


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ray_media")
    generate_library(folder, 4, seed=9, duration=(1.0, 2.0), size=(96, 64), fps=8)
    (folder / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(500))
    return folder


def snapshot(home: Path) -> dict[str, dict]:
    """Path → frames, segments and vectors, as the catalog holds them."""
    out = {}
    with Library.open(home, read_only=True) as lib:
        dim = lib.model.dim
        for v in lib.videos(status="indexed"):
            segs = lib.segments(v.id)
            ids = [s.id for s in segs]
            vectors = np.concatenate([vec for _, vec in lib.catalog.segment_vectors(dim, ids)])
            order = np.argsort(ids)  # segment_vectors is by id; segments() by start
            times, frames = lib.frames(v.id)
            out[v.path] = {
                "spans": [(s.start, s.end) for s in segs],
                "vectors": vectors[np.argsort(order)],
                "times": times,
                "frames": frames,
            }
        out["failed"] = {Path(v.path).name: v.error for v in lib.videos(status="failed")}
    return out


def test_ray_results_equal_the_inline_executor(local_ray, media, tmp_path) -> None:
    inline = index_paths(Library.open(tmp_path / "a"), load_encoder(DEMO), [media])
    assert len(inline.of("indexed")) == 4
    # The Ray side through the CLI; the local instance started above is joined, not restarted.
    args = ["--library", str(tmp_path / "b"), "--model", DEMO, "index", "--no-progress"]
    by_ray = CliRunner().invoke(cli, [*args, str(media), "--executor", "ray", "--workers", "2"])
    assert by_ray.exit_code == 0, by_ray.output
    assert f"indexed 4, unchanged 0, failed 1 ({inline.frames} frames" in by_ray.output
    a, b = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert set(a) == set(b)
    assert set(b["failed"]) == {"broken.mp4"} and b["failed"] == a["failed"]
    for path in set(a) - {"failed"}:
        assert a[path]["spans"] == b[path]["spans"], path
        np.testing.assert_allclose(a[path]["vectors"], b[path]["vectors"], atol=1e-5)
        np.testing.assert_array_equal(a[path]["times"], b[path]["times"])
        np.testing.assert_allclose(a[path]["frames"], b[path]["frames"], atol=1e-5)
    found = CliRunner().invoke(cli, ["--library", str(tmp_path / "b"), "search", "a red circle"])
    assert found.exit_code == 0 and "video_9_" in found.output


def test_work_in_flight_is_bounded(local_ray, media) -> None:
    files = sorted(media.glob("video_*.mp4"))
    items = [WorkItem(p, f"h{i}", p.stat().st_size, 0.0) for i, p in enumerate(files * 3)]
    pulled = []

    def lazily():
        for item in items:
            pulled.append(item)
            yield item

    executor = RayExecutor(RayOptions(workers=1, in_flight_per_worker=2))
    got = 0
    frames = []
    for i, (_item, result) in enumerate(
        executor.map(lazily(), load_encoder(DEMO), IndexOptions(), frames.append)
    ):
        assert len(pulled) <= i + 2  # never more than 2 queued beyond what came back
        assert result.segments
        got += 1
    assert got == len(items)
    assert len(frames) == len(items) and all(n > 0 for n in frames)  # on_frames per file


def exit_on_noise_decoder(options: IndexOptions):
    """A decoder that takes its Ray worker down on files named ``crash*``."""

    class Crashing(Decoder):
        def __init__(self) -> None:
            self.inner = default_decoder()

        def probe(self, path: Path):
            if path.name.startswith("crash"):
                os._exit(3)
            return self.inner.probe(path)

        def frames(self, path: Path, *args, **kwargs):
            return self.inner.frames(path, *args, **kwargs)

    return Crashing()


def test_a_dead_worker_fails_its_file_and_is_replaced(local_ray, media, tmp_path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    files = sorted(media.glob("video_*.mp4"))[:1]
    for f in files:
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "crash.mp4").write_bytes(files[0].read_bytes() + b"different content")
    # One worker with two files queued: the innocent one dies too, and must be retried.
    executor = RayExecutor(RayOptions(workers=1), decoder_factory=exit_on_noise_decoder)
    report = index_paths(
        Library.open(tmp_path / "lib"), load_encoder(DEMO), [folder], executor=executor
    )
    assert {o.path.name for o in report.of("indexed")} == {f.name for f in files}
    (failed,) = report.of("failed")
    assert failed.path.name == "crash.mp4" and "died" in failed.reason


def test_workers_that_load_another_model_stop_the_job_before_any_file(local_ray, media) -> None:
    real = load_encoder(DEMO)

    class Elsewhere:  # what a driver sees when its weights differ from the workers'
        identity = dataclasses.replace(real.identity, weights_sha256="not-these")
        batch_size = 8

    item = WorkItem(media / "broken.mp4", "h", 1, 0.0)
    with pytest.raises(VidseekError, match="could not start.*ModelMismatch"):
        list(RayExecutor(RayOptions(workers=1)).map([item], Elsewhere(), IndexOptions(), print))
    assert ray.is_initialized()  # the module's instance is left alone
