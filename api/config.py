"""Server settings: library, model, media roots, API keys, CORS and size limits."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

API_KEYS_ENV = "VIDSEEK_API_KEYS"
MiB = 2**20


@dataclass(frozen=True)
class ServerConfig:
    home: Path
    model_spec: str | None = None  # None: the library's model, else the default model
    catalog_url: str | None = None
    vector_store: str | None = None  # None: $VIDSEEK_VECTOR_STORE, else FAISS
    media_roots: tuple[Path, ...] = ()  # folders POST /index may read; empty: indexing disabled
    api_keys: tuple[str, ...] = ()  # empty: no authentication
    cors_origins: tuple[str, ...] = ()  # empty: CORS off
    max_body_bytes: int = 1 * MiB  # JSON bodies
    max_upload_bytes: int = 10 * MiB  # image uploads
    result_window: int = 100  # clips ranked per query (total <= this); pages are cut from it
    thumbnail_cache: int = 512  # thumbnails kept in memory
    isolate_decoding: bool = True  # index jobs decode in a killable worker process
    fast_decode: bool = False  # index jobs decode reference frames only (see --fast-decode)
    gpu_decode: bool = False  # index jobs decode on the GPU (see --gpu-decode)
    asr_model: str | None = None  # index jobs' speech model, NAME|PATH; None: tiny.en
    preload_model: bool = True  # load the encoder at startup rather than on first use

    @property
    def resolved_roots(self) -> tuple[Path, ...]:
        return tuple(root.expanduser().resolve() for root in self.media_roots)


def load_api_keys(key_file: Path | None = None, env: str | None = None) -> tuple[str, ...]:
    """Keys from a file (one per line, ``#`` comments) and/or a comma-separated env value."""
    keys: list[str] = []
    if key_file is not None:
        for line in Path(key_file).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                keys.append(line)
    value = os.environ.get(API_KEYS_ENV, "") if env is None else env
    keys.extend(k.strip() for k in value.split(",") if k.strip())
    return tuple(dict.fromkeys(keys))


def normalise_origins(origins: Sequence[str]) -> tuple[str, ...]:
    return tuple(o.rstrip("/") for o in origins if o.strip())
