"""Thumbnails decode through the indexing decoder, isolated: the indexed frame (rotation and
stream choice included), one decode per key, a bounded number at once, and a hung or crashed
decode answered 503 while the server goes on."""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from tests.api_server import built_library, live_server, server_config
from tests.conftest import MEDIA_SPECS
from vidseek.api.thumbnails import SHORT_SIDE, ThumbnailCache, ThumbnailError
from vidseek.core.errors import DecodeError
from vidseek.indexer.decode import PyAVDecoder, default_decoder
from vidseek.indexer.frames import FrameBatch
from vidseek.indexer.thumbnail import FramePool

GREEN, MAGENTA = (30, 170, 60), (250, 0, 250)


def _picture(i: int) -> np.ndarray:
    """160x90 landscape, different in every frame: green top band (which way is up), a
    white bar moving right, red left half, blue right half."""
    image = np.zeros((90, 160, 3), np.uint8)
    image[:, :80], image[:, 80:], image[:12] = (220, 30, 30), (30, 70, 220), GREEN
    image[20:70, 4 * i % 160 : 4 * i % 160 + 6] = 255
    return image


def write_video(path: Path, rotation: int = 0, cover: bool = False, frames: int = 40) -> Path:
    """H.264 with B-frames and a key frame every 8 frames (so seeking matters), 20 fps;
    optionally a display rotation and a magenta cover picture (attached picture stream)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=20)
        stream.width, stream.height, stream.pix_fmt = 160, 90, "yuv420p"
        stream.codec_context.gop_size = 8
        if rotation:
            stream.set_display_rotation(rotation)
        if cover:
            art = container.add_stream("mjpeg", rate=1)
            art.width, art.height, art.pix_fmt = 160, 90, "yuvj420p"
            art.disposition = av.stream.Disposition.attached_pic
            picture = av.VideoFrame.from_ndarray(np.full((90, 160, 3), MAGENTA, np.uint8))
            for packet in [*art.encode(picture), *art.encode()]:
                container.mux(packet)
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(_picture(i), format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


@pytest.fixture(scope="module")
def pool():
    with FramePool(2) as frames:
        yield frames


@pytest.fixture(scope="module")
def rotated(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    folder = tmp_path_factory.mktemp("rotated")
    return {r: write_video(folder / f"rot{r}.mp4", rotation=r) for r in (0, 90, -90, 180)}


def indexed(decoder, path: Path, fps: float, short_side: int) -> tuple[np.ndarray, np.ndarray]:
    batches = list(decoder.frames(path, fps, short_side, 8))
    return np.concatenate([b.times for b in batches]), np.concatenate([b.images for b in batches])


def jpeg_pixels(data: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    return np.asarray(image.convert("RGB")).astype(int)


# --- the frame for a time is the frame indexing saw ------------------------------------------


@pytest.mark.parametrize("rotation", [0, 90, -90, 180])
def test_frame_at_an_indexed_time_is_the_indexed_frame(pool, rotated, rotation):
    path = rotated[rotation]
    times, images = indexed(PyAVDecoder(), path, 4.0, 45)
    assert len(times) == 8
    for t, image in zip(times, images, strict=True):
        frame = pool.frame_at(path, float(t), 45)  # in the isolated worker
        assert frame.times.tolist() == [t]
        np.testing.assert_array_equal(frame.images[0], image)
    # the default chain (decord first) shows the same picture, the same way up
    _, chain_images = indexed(default_decoder(), path, 4.0, 45)
    assert chain_images.shape == images.shape
    assert np.abs(chain_images.astype(int) - images).mean() < 8
    upright = np.rot90(_picture(0), rotation // 90)[::2, ::2]
    assert np.abs(images[0].astype(int) - upright).mean() < 8


@pytest.mark.parametrize("name", sorted(MEDIA_SPECS))
def test_frame_at_matches_sampling_in_every_container(media, name):
    """Seeking (mp4, mkv, webm, avi, mov, variable frame rate) lands on the sampled frame."""
    decoder = PyAVDecoder()
    times, images = indexed(decoder, media[name], 3.0, 32)
    for t, image in zip(times, images, strict=True):
        frame = decoder.frame_at(media[name], float(t), 32)
        assert frame.times.tolist() == [t], name
        np.testing.assert_array_equal(frame.images[0], image)


def test_frame_at_past_the_end_is_the_last_frame(rotated):
    decoder = PyAVDecoder()
    times, images = indexed(decoder, rotated[0], 1000.0, 45)
    frame = decoder.frame_at(rotated[0], 60.0, 45)
    assert frame.times.tolist() == [times[-1]]
    np.testing.assert_array_equal(frame.images[0], images[-1])


def test_thumbnail_of_a_rotated_video_is_upright(pool, rotated):
    cache = ThumbnailCache(frames=pool)
    for rotation in (90, 180):
        times, _ = indexed(PyAVDecoder(), rotated[rotation], 4.0, SHORT_SIDE)
        t = float(times[3])
        pixels = jpeg_pixels(cache.get(rotation, rotated[rotation], t))
        want = pool.frame_at(rotated[rotation], t, SHORT_SIDE).images[0]
        assert pixels.shape == want.shape  # portrait for 90, landscape for 180
        assert np.abs(pixels - want).mean() < 6
        assert (pixels.shape[0] > pixels.shape[1]) == (rotation == 90)


def test_cover_art_is_not_the_thumbnail(pool, tmp_path):
    path = write_video(tmp_path / "with_cover.mp4", cover=True)
    with av.open(str(path)) as container:  # the file really carries cover art
        cover = av.stream.Disposition.attached_pic
        covers = [s for s in container.streams.video if s.disposition & cover]
        assert len(covers) == 1
    times, images = indexed(default_decoder(), path, 4.0, SHORT_SIDE)
    pixels = jpeg_pixels(ThumbnailCache(frames=pool).get("k", path, float(times[2])))
    assert np.abs(pixels - images[2]).mean() < 6
    assert np.abs(pixels[1, 1] - np.array(GREEN)).max() < 40  # not magenta


def test_a_file_without_video_is_a_thumbnail_error(pool, bad_media):
    cache = ThumbnailCache(frames=pool)
    with pytest.raises(ThumbnailError, match="no video stream") as err:
        cache.get("audio", bad_media["audio"], 0.5)
    assert type(err.value) is ThumbnailError  # the file's fault: not worth retrying
    with pytest.raises(ThumbnailError, match="missing"):
        cache.get("gone", bad_media["audio"].with_name("gone.mp4"), 0.5)


# --- one decode per key, a bounded number at once --------------------------------------------


class SlowLogged(PyAVDecoder):
    """Notes each decode (pid, start, end) next to the video, and takes its time."""

    def frame_at(self, path: Path, at: float, short_side: int | None = None) -> FrameBatch:
        started = time.monotonic()
        time.sleep(0.5)
        frame = super().frame_at(path, at, short_side)
        with open(f"{path}.decodes", "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {started} {time.monotonic()}\n")
        return frame


def decodes(path: Path) -> list[tuple[int, float, float]]:
    log = Path(f"{path}.decodes")
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [(int(p), float(a), float(b)) for p, a, b in (line.split() for line in lines)]


def concurrently(n: int, call) -> list:
    barrier, results = threading.Barrier(n), [None] * n

    def run(i: int) -> None:
        barrier.wait()
        results[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_concurrent_requests_for_one_key_share_one_decode(tmp_path):
    path = write_video(tmp_path / "v.mp4")
    with FramePool(4, decoder_factory=SlowLogged) as frames:
        cache = ThumbnailCache(frames=frames)
        results = concurrently(8, lambda i: cache.get(("segment", 1), path, 1.0))
        assert len(decodes(path)) == 1 and cache.decodes == 1
        assert results[0][:2] == b"\xff\xd8" and len(set(results)) == 1
        cache.get(("segment", 2), path, 1.5)  # another key: its own decode
        assert len(decodes(path)) == 2


def test_at_most_parallel_decodes_run_at_once(tmp_path):
    path = write_video(tmp_path / "v.mp4")
    with FramePool(2, decoder_factory=SlowLogged) as frames:
        cache = ThumbnailCache(frames=frames)
        concurrently(5, lambda i: cache.get(i, path, 0.2 * i))
    spans = decodes(path)
    assert len(spans) == 5 and len({pid for pid, _, _ in spans}) <= 2
    most = max(sum(a <= start < b for _, a, b in spans) for _, start, _ in spans)
    assert most <= 2  # never more than the pool's two at once


# --- a hung or crashed decode: 503, and the server goes on -----------------------------------


class Hangs(PyAVDecoder):
    def frame_at(self, path: Path, at: float, short_side: int | None = None) -> FrameBatch:
        time.sleep(3600)
        raise AssertionError("unreachable")


class Crashes(PyAVDecoder):
    def frame_at(self, path: Path, at: float, short_side: int | None = None) -> FrameBatch:
        os.kill(os.getpid(), signal.SIGSEGV)
        raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def server():
    with live_server(server_config(built_library())) as live:
        yield live


@pytest.mark.parametrize(
    ("double", "reason"),
    [(Hangs, "took too long"), (Crashes, "decoder crashed (signal SIGSEGV)")],
)
def test_a_hung_or_crashed_decode_is_503_and_the_server_goes_on(server, double, reason):
    services = server.app.state.services
    working = services.thumbnails
    with server.client() as client:
        video = client.get("/videos").json()["videos"][0]
        url = client.get(f"/videos/{video['id']}").json()["segments"][0]["thumbnail_url"]
        services.thumbnails = ThumbnailCache(
            frames=FramePool(1, timeout=1.0, decoder_factory=double)
        )
        try:
            started = time.monotonic()
            response = client.get(url)
            assert time.monotonic() - started < 20
            assert response.status_code == 503
            error = response.json()["error"]
            assert error["code"] == "thumbnail_unavailable" and reason in error["message"]
            assert int(response.headers["retry-after"]) > 0
            assert client.get(url).status_code == 503  # a fresh worker, the same answer
            assert client.get("/videos").status_code == 200
        finally:
            services.thumbnails.close()
            services.thumbnails = working
        response = client.get(url)
        assert response.status_code == 200 and response.content[:2] == b"\xff\xd8"


class ReportsLogLevel(PyAVDecoder):
    """Says, from inside the worker, what PyAV does with FFmpeg's log lines."""

    def probe(self, path):
        import av.logging

        raise DecodeError(f"log level {av.logging.get_level()}")


def test_workers_leave_ffmpeg_logs_off_the_python_callback():
    """Any PyAV log level routes FFmpeg's log lines through a Python callback taking the GIL
    from decoding threads; on a busy machine that deadlocked thumbnail workers mid-frame."""
    from vidseek.core.errors import DecodeError as Reported
    from vidseek.indexer.isolation import IsolatedDecoder

    with IsolatedDecoder(ReportsLogLevel, timeout=30) as decoder:
        with pytest.raises(Reported, match="log level None"):
            decoder.probe(Path("any.mp4"))
