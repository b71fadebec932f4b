"""What the app shares between requests: the serving library, the encoder, the searcher.

A ``Library`` is not thread-safe, so every use of the serving instance holds ``lock``. Encoding
(queries here, frames in index jobs) goes through one ``SerializedEncoder`` so the two CPU-bound
users take turns instead of thrashing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from vidseek.api.config import ServerConfig
from vidseek.core.errors import ModelError, VidseekError
from vidseek.core.library import Library
from vidseek.core.types import Encoder, ModelIdentity
from vidseek.search.query import Searcher
from vidseek.session import Session, resolve_model_spec

log = logging.getLogger("vidseek.server")
REFRESH_EVERY_S = 1.0  # how stale other processes' commits may be in this server's answers


class SerializedEncoder:
    """An ``Encoder`` whose calls take turns on a lock (shared by searches and index jobs)."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.identity: ModelIdentity = inner.identity
        self._lock = threading.Lock()

    @property
    def batch_size(self) -> int:
        return self.inner.batch_size

    def encode_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        with self._lock:
            return self.inner.encode_images(images)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return self.inner.encode_texts(texts)


class ServerState:
    def __init__(self, config: ServerConfig, library: Library | None = None) -> None:
        self.config = config
        self.lock = threading.RLock()  # guards self.library and self._searchers
        # An outgrown vector index is retrained in a background thread; searches go on
        # against the old one until the new one is swapped in.
        self.session = Session(
            config.home,
            model=config.model_spec,
            catalog_url=config.catalog_url,
            vector_store=config.vector_store,
            notify=lambda m: log.warning("%s", m),
            rebuild_in_background=True,
        )
        self.library = library or self.session.library()
        self.generation = 0  # bumped whenever the searchable content may have changed
        self._refresh_due, self._refreshed_at = True, 0.0
        self._encoder: SerializedEncoder | None = None
        self._encoder_lock = threading.Lock()
        self._text_encoder: Encoder | None = None
        self._searchers: dict[str, tuple[Searcher, ModelIdentity | None]] = {}

    @contextmanager
    def locked(self) -> Iterator[Library]:
        with self.lock:
            yield self.library

    def refresh(self) -> int:
        """Pick up vectors committed by index jobs or other processes; returns the generation.

        The catalog is asked at most once a second (``REFRESH_EVERY_S``), or at once after
        this server's own jobs committed a file (``committed``)."""
        with self.lock:
            now = time.monotonic()
            if self._refresh_due or now - self._refreshed_at >= REFRESH_EVERY_S:
                self._refresh_due, self._refreshed_at = False, now
                if self.library.refresh():
                    self.generation += 1
            return self.generation

    def committed(self) -> None:
        """An index job of this server committed a file: the next search catches up."""
        self._refresh_due = True

    def changed(self) -> None:
        with self.lock:
            self.generation += 1

    def encoder(self) -> SerializedEncoder:
        """``--model`` if given, else the library's model, else the default; loaded once."""
        with self._encoder_lock:
            if self._encoder is None:
                from vidseek.core.models import load_encoder

                self._encoder = SerializedEncoder(self._load_model(load_encoder))
            return self._encoder

    def text_encoder(self) -> Encoder:
        """The model's text tower alone (ONNX Runtime where it can): text queries never wait
        for an index job's frame batch on the shared encoder's lock."""
        with self._encoder_lock:
            if self._text_encoder is None:
                from vidseek.core.models.text_encoder import load_text_encoder

                self._text_encoder = self._load_model(load_text_encoder)
            return self._text_encoder

    def _load_model(self, load: Callable[[str], Encoder]) -> Encoder:
        """``load`` the serving model; a failure is a ``ModelError`` (503), never a 500."""
        with self.lock:
            spec = resolve_model_spec(self.config.model_spec, self.library)
        log.info("loading model %s", spec)
        try:
            return load(spec)
        except VidseekError:
            raise
        except Exception as exc:
            raise ModelError(f"the model {spec} could not be loaded: {exc}") from exc

    def searcher(self, queries: str = "images") -> Searcher:
        """A searcher over the serving library (``queries="text"``: one that embeds texts
        with the text tower only); rebuilt when the library's model changes."""
        encoder = self.text_encoder() if queries == "text" else self.encoder()
        with self.lock:
            model = self.library.model
            made = self._searchers.get(queries)
            if made is None or made[1] != model:
                made = Searcher(self.library, encoder), model  # ModelMismatch → 409
                self._searchers[queries] = made
            return made[0]

    def close(self) -> None:
        with self.lock:
            self.library.close()
