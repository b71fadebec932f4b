"""What every command needs: where the library is, which model, opened lazily and once."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import click
import platformdirs
from vidseek.core.library import Library
from vidseek.core.models import DEMO_MODEL
from vidseek.core.types import Encoder

DEFAULT_MODEL = DEMO_MODEL
log = logging.getLogger("vidseek")


def default_home() -> Path:
    """``VIDSEEK_HOME`` if set, else the user data dir (e.g. ~/.local/share/vidseek)."""
    env = os.environ.get("VIDSEEK_HOME")
    return Path(env) if env else Path(platformdirs.user_data_dir("vidseek", appauthor=False))


@dataclass
class AppContext:
    home: Path
    model_spec: str | None = None
    catalog_url: str | None = None
    _library: Library | None = field(default=None, repr=False)
    _encoder: Encoder | None = field(default=None, repr=False)

    def library(self, read_only: bool = False) -> Library:
        if self._library is None:
            self._library = Library.open(
                self.home, catalog_url=self.catalog_url, read_only=read_only, notify=_notify
            )
        return self._library

    def encoder(self) -> Encoder:
        """``--model`` if given, else the model the library was built with, else the default."""
        if self._encoder is None:
            from vidseek.core.models import load_encoder

            self._encoder = load_encoder(model_spec_for(self.model_spec, self.library()))
        return self._encoder

    def close(self) -> None:
        if self._library is not None:
            self._library.close()
            self._library = None


def model_spec_for(explicit: str | None, library: Library) -> str:
    """``--model`` if given, else the model the library was built with, else the default."""
    recorded = library.model
    return explicit or (recorded.label if recorded else DEFAULT_MODEL)


def single_query_threads() -> None:
    """One FAISS thread: a single query is ~40x slower when OpenMP threads fight for cores."""
    import faiss

    faiss.omp_set_num_threads(1)


def _notify(message: str) -> None:
    click.echo(f"note: {message}", err=True)
