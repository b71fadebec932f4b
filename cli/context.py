"""The CLI's session: the shared ``Session`` with its notes written to stderr."""

from __future__ import annotations

import os

import click

from vidseek.session import Session, default_home

__all__ = ["AppContext", "default_home", "single_query_threads"]


class AppContext(Session):
    """What every command gets as ``ctx.obj``: the library and model, opened lazily and once."""

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        model_spec: str | None = None,
        catalog_url: str | None = None,
    ) -> None:
        super().__init__(home, model=model_spec, catalog_url=catalog_url, notify=_notify)


def single_query_threads() -> None:
    """One FAISS thread: a single query is ~40x slower when OpenMP threads fight for cores."""
    import faiss

    faiss.omp_set_num_threads(1)


def _notify(message: str) -> None:
    click.echo(f"note: {message}", err=True)
