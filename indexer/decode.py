"""Decoders: decord (fast, random access) and PyAV (sequential, robust), plus a fallback chain.

Sampling is by time: one frame per slot ``[i/fps, (i+1)/fps)``, the first frame whose real
presentation timestamp falls in it, reported with that timestamp (raw ``pts * time_base``
of the video stream; decord's float32 times are rounded to the microsecond). Frames before
time 0 are dropped. Frames come out as displayed: a phone video's rotation is applied, and
sizes in ``VideoInfo`` are display sizes.

What counts as a video: a file FFmpeg can open, with a video stream that is not cover art,
not read by an image demuxer (``image2`` / ``*_pipe``: a PNG or JPEG renamed ``.mp4``), and
that yields more than one frame unless its codec is a real video codec (a one-frame h264
clip is a video, a one-frame GIF or PNG is a still image).

Both decoders read the container header with PyAV first, so the reasons they give for bad
inputs are the same, and decord gets the size it needs for resizing. Both scale frames to
the model's short side while converting them to RGB (PyAV's swscale, decord's filter
graph), so no full-size RGB frame is ever made. ``indexer.decode_fast`` adds an opt-in
PyAV decoder that decodes reference frames only.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import av
import numpy as np

from vidseek.core.errors import DecodeError
from vidseek.core.types import VideoInfo
from vidseek.indexer.frames import Decoder, FrameBatch
from vidseek.indexer.seek import first_frame_at

log = logging.getLogger(__name__)

IMAGE_CODECS = frozenset(
    "png apng mjpeg jpeg2000 jpegls ljpeg bmp tiff webp gif qoi ppm pgm pgmyuv pam pbm "
    "targa sgi exr hdr dds jpegxl pcx xbm xpm photocd".split()
)
_MAX_BAD_PACKETS = 50  # damaged packets skipped before giving up on a file
_TRUNCATION_SLACK = (1.0, 0.1)  # video may end this many seconds / this share early


class NotDecodable(DecodeError):
    """The input itself is the problem (empty, not media, no video); no other backend will help."""


@dataclass(frozen=True)
class Header:
    """What the container header says about the video stream."""

    info: VideoInfo  # width and height as displayed, i.e. after rotation
    codec: str
    declared_duration: float | None  # of the video alone; None when only the container knows
    rotation: int = 0  # display rotation, degrees counter-clockwise (phone videos)


def target_size(width: int, height: int, short_side: int | None) -> tuple[int, int]:
    """``(width, height)`` scaled so the shorter side equals ``short_side`` (aspect kept)."""
    if not short_side or min(width, height) == short_side:
        return width, height
    scale = short_side / min(width, height)
    if width <= height:
        return short_side, max(1, round(height * scale))
    return max(1, round(width * scale)), short_side


def slot_of(t: float, fps: float) -> int | None:
    """Index of the ``1/fps`` slot holding time ``t``; None for unusable or negative times."""
    if not math.isfinite(t) or t < -1e-6:
        return None
    # Tolerance covers decord's float32 timestamps (relative error ~1.2e-7).
    return math.floor((t + 1e-6 + abs(t) * 2.4e-7) * fps)


class SlotSampler:
    """Keeps the first frame of each ``1/fps`` slot of video time."""

    def __init__(self, fps: float) -> None:
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.fps = fps
        self.last_slot = -1

    def keep(self, t: float) -> bool:
        slot = slot_of(t, self.fps)
        if slot is None or slot <= self.last_slot:
            return False
        self.last_slot = slot
        return True


# FFmpeg probes by content, so a 47-byte text file named x.mp4 can be a concat script or an
# HLS playlist that pulls in files from elsewhere. Only these demuxers may open a file, and only
# through the local-file protocol.
CONTAINERS = (
    "mov,mp4,matroska,webm,avi,mpeg,mpegts,asf,flv,ogg,mxf,dv,nut,ivf,"
    "h264,hevc,m4v,mpegvideo,rawvideo,yuv4mpegpipe"
)
SAFE_OPEN = {"format_whitelist": CONTAINERS, "protocol_whitelist": "file"}


_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")


def _still_image(path: Path) -> bool:
    with Path(path).open("rb") as f:
        head = f.read(12)
    return head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def open_container(path: Path) -> av.container.InputContainer:
    """Open ``path`` with PyAV, turning every failure into a readable ``DecodeError``."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise NotDecodable("file not found") from None
    except OSError as e:
        raise NotDecodable(f"cannot read file ({e.strerror})") from None
    if path.is_dir():
        raise NotDecodable("is a directory, not a file")
    if size == 0:
        raise NotDecodable("empty file")
    try:
        return av.open(str(path), metadata_errors="ignore", container_options=SAFE_OPEN)
    except av.error.ArgumentError:  # the demuxer FFmpeg detected is not on the allow-list
        if _still_image(path):
            raise NotDecodable("not a video (single still image)") from None
        raise NotDecodable(
            "refused: not a video container vidseek reads "
            "(playlists, concat scripts and image sequences are never indexed)"
        ) from None
    except av.error.InvalidDataError:
        with path.open("rb") as f:
            head = f.read(12)
        if head[4:8] == b"ftyp":
            raise NotDecodable(
                "truncated or damaged MP4/MOV: its index ('moov' atom) is missing; "
                "the file was cut off or is still being written"
            ) from None
        raise NotDecodable("unreadable: invalid data (not a recognised video format)") from None
    except av.error.FFmpegError as e:
        raise NotDecodable(f"unreadable: {e.strerror or e}") from None
    except OSError as e:
        raise NotDecodable(f"cannot read file ({e.strerror})") from None


def video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream:
    """The first real video stream, refusing audio files, cover art and still images."""
    cover = av.stream.Disposition.attached_pic
    streams = [s for s in container.streams.video if not (s.disposition & cover)]
    if not streams:
        raise NotDecodable("not a video (no video stream)")
    fmt = container.format.name
    if fmt == "image2" or fmt.endswith("_pipe"):
        raise NotDecodable("not a video (single still image)")
    return streams[0]


def read_header(container: av.container.InputContainer, backend: str, rotation: int = 0) -> Header:
    """Metadata of the video stream of an open container (no decoding)."""
    stream = video_stream(container)
    ctx = stream.codec_context
    declared = None
    if stream.duration and stream.time_base:
        declared = float(stream.duration * stream.time_base)
    elif container.duration and len(container.streams) == 1:
        declared = container.duration / 1e6
    duration = declared or (container.duration / 1e6 if container.duration else 0.0)
    rate = stream.average_rate or stream.guessed_rate
    width, height = int(ctx.width), int(ctx.height)
    if width <= 0 or height <= 0:
        raise NotDecodable("unreadable: video stream has no frame size")
    if rotation % 180:
        width, height = height, width
    fps = float(rate) if rate else 0.0
    created = creation_time(container.metadata)
    info = VideoInfo(float(duration), fps, width, height, ctx.name, backend, created)
    return Header(info, ctx.name, declared, rotation)


def creation_time(tags: Mapping[str, str]) -> float | None:
    """The container's ``creation_time`` tag (ISO 8601, as cameras and muxers write it) in
    Unix seconds; None when absent, unreadable, or the zero date some muxers write."""
    raw = tags.get("creation_time") or tags.get("CREATION_TIME")
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = when.timestamp()
    return seconds if seconds > 0 else None


def probe_header(path: Path, backend: str) -> Header:
    """The header of ``path``; decodes one frame to learn the display rotation."""
    with open_container(path) as container:
        rotation = 0
        try:
            for frame in container.decode(video_stream(container)):
                rotation = round((frame.rotation or 0) / 90) * 90 % 360
                break
        except av.error.FFmpegError:
            pass  # decoding proper will say what is wrong
        return read_header(container, backend, rotation)


def check_complete(header: Header, decoded: int, last_end: float | None) -> None:
    """Refuse still images, and files whose video stops well before its declared end.

    ``last_end`` is when the last decoded frame stops showing (its timestamp plus its
    duration), so a long still ending of a variable-frame-rate file is not "truncated".
    """
    if decoded == 0 or last_end is None:
        raise DecodeError("no frames could be decoded")
    if decoded == 1 and header.codec in IMAGE_CODECS:
        raise NotDecodable("not a video (single still image)")
    declared = header.declared_duration
    if declared:
        slack = max(_TRUNCATION_SLACK[0], _TRUNCATION_SLACK[1] * declared)
        if declared - last_end > slack:
            raise DecodeError(f"truncated: video stops at {last_end:.2f} s of {declared:.2f} s")


def _short(exc: BaseException) -> str:
    """First meaningful line of an exception, without decord's ``[time] file.cc:N:`` noise."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = re.sub(r"^\[[\d:]+\] \S+:\d+: ", "", text)
    return text[:300]


class Progress:
    """What ``check_complete`` needs: frames decoded, and when the last one stops showing."""

    def __init__(self, header: Header) -> None:
        self.decoded = 0
        self.last_end: float | None = None
        self._default_step = 1.0 / header.info.fps if header.info.fps else 0.0

    def see(self, frame: av.VideoFrame) -> None:
        self.decoded += 1
        t = frame.time
        if t is None:
            return
        step = self._default_step
        if frame.duration and frame.time_base:
            step = float(frame.duration * frame.time_base)
        self.last_end = t + step if self.last_end is None else max(self.last_end, t + step)


class PyAVDecoder(Decoder):
    """Sequential decoding with PyAV; converts only the frames it keeps."""

    name = "pyav"

    def probe(self, path: Path) -> VideoInfo:
        return probe_header(path, self.name).info

    def frames(
        self, path: Path, fps: float, short_side: int | None = None, batch_size: int = 32
    ) -> Iterator[FrameBatch]:
        with self._open(path) as container:
            header = read_header(container, self.name)  # rotation is handled per frame
            stream = video_stream(container)
            self._configure(stream)
            progress = Progress(header)
            times: list[float] = []
            images: list[np.ndarray] = []
            for t, image in self._samples(container, stream, path, fps, short_side, progress):
                times.append(t)
                images.append(image)
                if len(times) >= batch_size and progress.decoded >= 2:
                    yield FrameBatch(np.array(times), np.stack(images), self.name)
                    times, images = [], []
            check_complete(header, progress.decoded, progress.last_end)
            if times:
                yield FrameBatch(np.array(times), np.stack(images), self.name)

    def frame_at(self, path: Path, at: float, short_side: int | None = None) -> FrameBatch:
        if not math.isfinite(at):
            raise ValueError(f"time must be finite, got {at}")
        with self._open(path) as container:
            stream = video_stream(container)
            self._configure(stream)
            frame = first_frame_at(container, stream, at, lambda: _decode_all(container, stream))
            if frame is None:
                raise DecodeError("no frames could be decoded")
            image = _rgb(frame, short_side)
            return FrameBatch(np.array([frame.time]), image[np.newaxis], self.name)

    def _open(self, path: Path) -> av.container.InputContainer:
        return open_container(path)

    def _configure(self, stream: av.video.stream.VideoStream) -> None:
        stream.thread_type = "AUTO"

    def _samples(
        self,
        container: av.container.InputContainer,
        stream: av.video.stream.VideoStream,
        path: Path,
        fps: float,
        short_side: int | None,
        progress: Progress,
    ) -> Iterator[tuple[float, np.ndarray]]:
        """``(time, RGB image)`` of the first frame of each slot, in time order."""
        sampler = SlotSampler(fps)
        for frame in _decode_all(container, stream):
            progress.see(frame)
            if frame.time is not None and sampler.keep(frame.time):
                yield frame.time, _rgb(frame, short_side)


def _decode_all(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    on_packet: Callable[[av.Packet], None] | None = None,
) -> Iterator[av.VideoFrame]:
    """Every frame of ``stream``; skips a few damaged packets, fails on a read error.
    ``on_packet`` sees each packet before it is decoded."""
    bad, last = 0, None
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.error.FFmpegError as e:
            at = f"{last:.2f} s" if last is not None else "the start"
            reason = f"truncated or damaged: reading stopped at {at} ({e.strerror})"
            raise DecodeError(reason) from None
        if on_packet is not None:
            on_packet(packet)
        try:
            frames = packet.decode()
        except av.error.FFmpegError as e:
            bad += 1
            if bad > _MAX_BAD_PACKETS:
                raise DecodeError(f"damaged: too many undecodable packets ({e.strerror})") from None
            continue
        for frame in frames:
            last = frame.time if frame.time is not None else last
            yield frame


def _rgb(frame: av.VideoFrame, short_side: int | None) -> np.ndarray:
    """The frame as displayed (rotation applied), short side scaled to ``short_side``."""
    quarter_turns = round((frame.rotation or 0) / 90) % 4
    width, height = frame.width, frame.height
    if quarter_turns % 2:
        width, height = height, width
    width, height = target_size(width, height, short_side)
    if quarter_turns % 2:
        width, height = height, width  # size of the coded (unrotated) picture
    rgb = frame.to_ndarray(width=width, height=height, format="rgb24")
    return np.rot90(rgb, quarter_turns) if quarter_turns else rgb


class DecordDecoder(Decoder):
    """decord: indexes the file, then fetches only the sampled frames. Sanity-checks its output."""

    name = "decord"

    def __init__(self) -> None:
        import decord  # at construction, so an isolated worker loads it before its memory cap

        self._decord = decord

    def probe(self, path: Path) -> VideoInfo:
        return probe_header(path, self.name).info

    def frames(
        self, path: Path, fps: float, short_side: int | None = None, batch_size: int = 32
    ) -> Iterator[FrameBatch]:
        decord = self._decord
        sampler = SlotSampler(fps)
        header = probe_header(path, self.name)
        width, height = target_size(header.info.width, header.info.height, short_side)
        size = {"width": width, "height": height} if short_side else {}
        try:
            reader = decord.VideoReader(str(path), ctx=decord.cpu(0), num_threads=0, **size)
            n = len(reader)
            stamps = reader.get_frame_timestamp(range(n)) if n else np.zeros((0, 2))
        except MemoryError:
            raise
        except Exception as e:
            raise DecodeError(f"cannot open: {_short(e)}") from None
        stamps = np.round(np.asarray(stamps, dtype=np.float64), 6)
        times = stamps[:, 0]
        self._check_times(times, header)
        check_complete(header, n, float(stamps[:, 1].max()) if n else None)
        keep = [i for i, t in enumerate(times) if sampler.keep(float(t))]
        if not keep:
            raise DecodeError("no frame has a usable timestamp")
        for start in range(0, len(keep), batch_size):
            chunk = keep[start : start + batch_size]
            try:
                images = reader.get_batch(chunk).asnumpy()
            except MemoryError:
                raise
            except Exception as e:
                raise DecodeError(f"decode error at {times[chunk[0]]:.2f} s: {_short(e)}") from None
            if images.shape != (len(chunk), height, width, 3):
                raise DecodeError(f"unexpected frame shape {images.shape}")
            yield FrameBatch(times[chunk], images, self.name)

    @staticmethod
    def _check_times(times: np.ndarray, header: Header) -> None:
        """decord misreports counts and times on some files; refuse output that can't be real."""
        if len(times) == 0:
            raise DecodeError("zero frames")
        if not np.isfinite(times).all():
            raise DecodeError("bogus timestamps (not finite)")
        if len(times) > 1 and (np.diff(times) < -1e-3).any():
            raise DecodeError("bogus timestamps (not increasing)")
        if len(times) > 2 and np.ptp(times) == 0:
            raise DecodeError("bogus timestamps (all equal)")
        end = header.info.duration
        if end and times[-1] > end * 1.5 + 2.0:
            raise DecodeError(f"bogus timestamps ({times[-1]:.1f} s in a {end:.1f} s file)")


class FallbackDecoder(Decoder):
    """Tries each decoder in turn; a later one resumes after the last frame already yielded.

    A decoder that fails before yielding anything is simply replaced by the next one; one
    that fails midway is followed by the next one from the same point in time. Inputs that
    are not decodable video at all (``NotDecodable``) fail at once, and ``MemoryError``
    propagates so an isolating worker can report it.
    """

    def __init__(self, decoders: Sequence[Decoder]) -> None:
        if not decoders:
            raise ValueError("FallbackDecoder needs at least one decoder")
        self.decoders = list(decoders)
        self.name = "+".join(d.name for d in self.decoders)

    def probe(self, path: Path) -> VideoInfo:
        reasons: list[str] = []
        for decoder in self.decoders:
            try:
                return decoder.probe(path)
            except (NotDecodable, MemoryError):
                raise
            except Exception as e:
                reasons.append(f"{decoder.name}: {_reason(e)}")
        raise DecodeError(_join(reasons))

    def frame_at(self, path: Path, at: float, short_side: int | None = None) -> FrameBatch:
        reasons: list[str] = []
        for decoder in self.decoders:
            try:
                return decoder.frame_at(path, at, short_side)
            except (NotDecodable, MemoryError):
                raise
            except Exception as e:
                reasons.append(f"{decoder.name}: {_reason(e)}")
        raise DecodeError(_join(reasons))

    def close(self) -> None:
        for decoder in self.decoders:
            decoder.close()

    def frames(
        self, path: Path, fps: float, short_side: int | None = None, batch_size: int = 32
    ) -> Iterator[FrameBatch]:
        reasons: list[str] = []
        last_time: float | None = None
        for decoder in self.decoders:
            try:
                for batch in decoder.frames(path, fps, short_side, batch_size):
                    if last_time is not None:
                        new = batch.times > last_time + 1e-6
                        if not new.any():
                            continue
                        batch = FrameBatch(batch.times[new], batch.images[new], batch.backend)
                    last_time = float(batch.times[-1])
                    yield batch
                return
            except (NotDecodable, MemoryError):
                raise
            except Exception as e:
                reasons.append(f"{decoder.name}: {_reason(e)}")
                log.info("%s failed on %s: %s", decoder.name, path, reasons[-1])
        raise DecodeError(_join(reasons))


def _reason(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, DecodeError) else f"{type(exc).__name__}: {_short(exc)}"


def _join(reasons: list[str]) -> str:
    """``"decord: X; pyav: Y"``, or just ``X`` when every decoder said the same."""
    bare = {r.split(": ", 1)[1] for r in reasons}
    return bare.pop() if len(bare) == 1 else "; ".join(reasons)


def default_decoder(fast: bool = False, gpu: bool = False) -> FallbackDecoder:
    """decord first (faster for sparse sampling), PyAV when decord fails or is missing.

    ``fast``: PyAV decoding reference frames only (``indexer.decode_fast``) first, then the
    exact decoders, which take over from the last frame delivered should it fail.
    ``gpu``: PyAV decoding on an NVIDIA GPU (``indexer.decode_cuda``) before all of them.
    """
    chain: list[Decoder] = []
    if gpu:
        from vidseek.indexer.decode_cuda import CudaPyAVDecoder  # imports this module

        chain.append(CudaPyAVDecoder())
    if fast:
        from vidseek.indexer.decode_fast import FastPyAVDecoder  # imports this module

        chain.append(FastPyAVDecoder())
    try:
        chain.append(DecordDecoder())
    except ImportError:
        pass
    return FallbackDecoder([*chain, PyAVDecoder()])
