"""Run a decoder in a separate process, so a hang, a crash or a memory blow-up costs one file.

One worker process is kept for many files and replaced only after it was killed or died.
Frames stream back through a pipe as they are decoded: once the reader has taken a batch,
the worker decodes the next one while the reader works on it (encodes it), then blocks
until the reader takes it; so decoding overlaps encoding, and at most about one batch is in
flight. (Decoding further ahead in a worker thread would lose the batches not yet sent when
the worker crashes, for no gain while decoding is faster than encoding.) The wall-clock
limit counts the time the reader spends waiting for the worker during one file (time the
reader spends on the frames itself, e.g. encoding them, is not charged to the decoder).

The worker is a fresh interpreter (``python -c``, never ``fork``: the parent has torch
threads), so it does not re-import the caller's main script; the decoder factory is sent
pickled and must be importable by name (not defined in ``__main__``). On Linux the worker
is SIGKILLed if the thread that started it exits. Not thread-safe: one per thread.

``run`` calls any other top-level function in the worker under the same limits: the text
evidence reads a file's audio and subtitle streams there (``indexer/evidence.py``).
"""

from __future__ import annotations

import ctypes
import json
import os
import pickle
import resource
import signal
import socket
import subprocess
import sys
import time
import weakref
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from vidseek.core.errors import DecodeError, DecodeTimeout, VidseekError
from vidseek.core.types import VideoInfo
from vidseek.indexer.frames import Decoder, FrameBatch

_T = TypeVar("_T")

_EXIT_OOM = 86  # worker exit code when even reporting MemoryError failed
_STARTUP_TIMEOUT = 120.0  # seconds for a fresh worker to import and build its decoder


class DecoderLost(DecodeError):
    """The worker process died on the file (crashed, ran out of memory), so the file got no
    answer; a fresh worker takes the next request."""


_BOOTSTRAP = (
    "import sys, json; sys.path[:0] = json.loads(sys.argv[1]); "
    "from vidseek.indexer.isolation import _worker_main; _worker_main(int(sys.argv[2]))"
)


def _worker_main(fd: int) -> None:
    """Entry point of the worker interpreter: ``fd`` is its end of a socket pair."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    if sys.platform == "linux":
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if not os.environ.get("VIDSEEK_DECODER_LOGS"):
        _quiet_native_logs()
    conn = Connection(fd)
    try:
        factory, memory_limit = conn.recv()
    except Exception as e:  # noqa: BLE001 - e.g. the factory is not importable here
        conn.send(("error", f"decoder could not start: {type(e).__name__}: {e}"))
        return
    _worker(conn, factory, memory_limit)


def _quiet_native_logs() -> None:
    """decord chatters on stderr about every damaged file; reasons come back anyway.

    PyAV ignores FFmpeg's logs by default, and must: any level set (even PANIC) routes
    FFmpeg's log lines through a Python callback that takes the GIL from FFmpeg's decoding
    threads, which deadlocked workers decoding with frame threads on a busy machine."""
    import av.logging

    av.logging.set_level(None)
    try:
        import decord

        decord.logging.set_level(decord.logging.QUIET)
    except ImportError:
        pass


def _worker(conn: Connection, factory: Callable[[], Decoder], memory_limit: int | None) -> None:
    """Worker loop: build the decoder, then serve probe/frames requests until the pipe closes."""
    try:
        decoder = factory()
        if memory_limit:
            # After the imports: libraries reserve address space when loaded.
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    except BaseException as e:  # noqa: BLE001 - reported to the parent, then exit
        conn.send(("error", f"decoder could not start: {type(e).__name__}: {e}"))
        return
    conn.send(("ready", None))
    while True:
        try:
            op, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if op == "probe":
                conn.send(("info", decoder.probe(*args)))
            elif op == "run":  # a top-level function, e.g. reading a file's audio
                function, rest = args
                try:
                    result = ("result", function(*rest))
                except VidseekError as e:  # deliberate: re-raised as it is in the parent
                    result = ("raised", e)
                conn.send(result)
            elif op == "frame_at":
                conn.send(("batch", decoder.frame_at(*args)))
            else:
                for batch in decoder.frames(*args):
                    conn.send(("batch", batch))
                conn.send(("done", None))
        except MemoryError:
            try:
                conn.send(("memory", None))
            except BaseException:  # noqa: BLE001
                pass
            os._exit(_EXIT_OOM)
        except DecodeTimeout as e:
            conn.send(("timeout", str(e)))
        except DecodeError as e:
            conn.send(("error", str(e)))
        except Exception as e:  # noqa: BLE001 - any decoder bug becomes a per-file error
            conn.send(("error", f"{type(e).__name__}: {e}"))


class IsolatedDecoder(Decoder):
    """A ``Decoder`` that runs ``inner_factory()`` in a child process with limits.

    ``inner_factory`` must be picklable (a top-level function or class). ``timeout`` is the
    wall-clock limit per file in seconds; past it the worker is SIGKILLed and
    ``DecodeTimeout`` raised. ``memory_limit_bytes`` caps the worker's address space.
    """

    name = "isolated"
    reads_ahead = True  # see ``Decoder``: overlaps by itself, must not be driven by a thread

    def __init__(
        self,
        inner_factory: Callable[[], Decoder],
        timeout: float = 600.0,
        memory_limit_bytes: int | None = None,
    ) -> None:
        try:
            pickle.dumps(inner_factory)
        except Exception as e:
            raise TypeError(
                f"inner_factory must be picklable (a top-level function or class): {e}"
            ) from None
        self.inner_factory = inner_factory
        self.timeout = timeout
        self.memory_limit_bytes = memory_limit_bytes
        self._proc: subprocess.Popen[bytes] | None = None
        self._finalizer: Any = None
        self._conn: Connection | None = None
        self._waited = 0.0

    # --- Decoder protocol -------------------------------------------------------------

    def probe(self, path: Path) -> VideoInfo:
        self._request("probe", (Path(path),))
        finished = False
        try:
            kind, payload = self._receive()
            finished = True
            if kind != "info":
                raise self._error(kind, payload)
            return payload
        finally:
            if not finished:
                self._kill()

    def frame_at(self, path: Path, at: float, short_side: int | None = None) -> FrameBatch:
        self._request("frame_at", (Path(path), at, short_side))
        finished = False
        try:
            kind, payload = self._receive()
            finished = True
            if kind != "batch":
                raise self._error(kind, payload)
            return payload
        finally:
            if not finished:
                self._kill()

    def run(self, function: Callable[..., _T], *args: Any) -> _T:
        """``function(*args)`` in the worker, under the same wall-clock limit and memory cap
        (``function`` picklable: top-level). Its ``VidseekError`` is raised here as it is;
        any other error, a crash or a timeout of the worker is a ``DecodeError``."""
        self._request("run", (function, args))
        finished = False
        try:
            kind, payload = self._receive()
            finished = True
            if kind == "result":
                return payload
            if kind == "raised":
                raise payload
            raise self._error(kind, payload)
        finally:
            if not finished:
                self._kill()

    def frames(
        self, path: Path, fps: float, short_side: int | None = None, batch_size: int = 32
    ) -> Iterator[FrameBatch]:
        self._request("frames", (Path(path), fps, short_side, batch_size))
        finished = False
        try:
            while True:
                kind, payload = self._receive()
                if kind == "batch":
                    yield payload
                    continue
                finished = True
                if kind == "done":
                    return
                raise self._error(kind, payload)
        finally:
            if not finished:  # reader stopped early or the worker was lost: start afresh
                self._kill()

    # --- lifecycle --------------------------------------------------------------------

    def close(self) -> None:
        """Stop the worker (politely, then by force)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            try:
                self._proc.wait(2.0)
            except subprocess.TimeoutExpired:
                pass
            self._kill()

    def interrupt(self) -> None:
        """Kill the worker from any thread; the call in flight fails with ``DecoderLost``."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()

    # --- internals --------------------------------------------------------------------

    def _start(self) -> None:
        parent, child = socket.socketpair()
        with parent, child:
            fd = child.fileno()
            argv = [sys.executable, "-c", _BOOTSTRAP, json.dumps(sys.path), str(fd)]
            # Few malloc arenas: each reserves 64 MB of address space, which counts against
            # the memory cap however little of it is used.
            env = {**os.environ, "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}
            self._proc = subprocess.Popen(argv, pass_fds=(fd,), stdin=subprocess.DEVNULL, env=env)
            self._conn = Connection(os.dup(parent.fileno()))
        self._finalizer = weakref.finalize(self, _kill_process, self._proc)
        self._waited = 0.0
        self._conn.send((self.inner_factory, self.memory_limit_bytes))
        kind, payload = self._receive(limit=max(self.timeout, _STARTUP_TIMEOUT))
        if kind != "ready":
            self._kill()
            raise self._error(kind, payload)

    def _request(self, op: str, args: tuple[Any, ...]) -> None:
        if self._proc is None or self._proc.poll() is not None:
            self._kill()
            self._start()
        assert self._conn is not None
        self._waited = 0.0
        self._conn.send((op, args))

    def _receive(self, limit: float | None = None) -> tuple[str, Any]:
        assert self._conn is not None
        limit = self.timeout if limit is None else limit
        started = time.monotonic()
        try:
            ready = self._conn.poll(max(0.0, limit - self._waited))
            if not ready:
                self._kill()
                raise DecodeTimeout(f"decoding took longer than {limit:g} s; the worker was killed")
            try:
                return self._conn.recv()
            except (EOFError, OSError):
                reason = self._death_reason()
                self._kill()
                raise DecoderLost(reason) from None
        finally:
            self._waited += time.monotonic() - started

    def _death_reason(self) -> str:
        assert self._proc is not None
        try:
            code = self._proc.wait(5.0)
        except subprocess.TimeoutExpired:
            code = None
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            return f"decoder crashed (signal {name})"
        if code == _EXIT_OOM:
            return self._memory_message()
        return f"decoder worker exited unexpectedly (exit code {code})"

    def _memory_message(self) -> str:
        if self.memory_limit_bytes:
            return f"decoder ran out of memory (limit {self.memory_limit_bytes // 2**20} MB)"
        return "decoder ran out of memory"

    def _error(self, kind: str, payload: Any) -> DecodeError:
        if kind == "memory":
            self._kill()  # a worker that hit MemoryError may be in a bad state
            return DecoderLost(self._memory_message())
        if kind == "timeout":
            return DecodeTimeout(str(payload))
        if kind == "error":
            return DecodeError(str(payload))
        return DecodeError(f"decoder worker protocol error: unexpected {kind!r}")

    def _kill(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            self._finalizer.detach()
            _kill_process(self._proc)
            self._proc = None


def _kill_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()
