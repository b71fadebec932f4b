"""Which vector store a library's index lives in: ``--vector-store`` / ``$VIDSEEK_VECTOR_STORE``.

``faiss`` (the default): the snapshot in ``<library>/index``. ``milvus:PATH-OR-URI[#collection]``:
a Milvus collection, embedded (milvus-lite, from a local file: ``milvus:./lib/vectors.db``) or a
cluster (``milvus:http://milvus:19530``). A cluster's token, if it needs one, comes from
``$VIDSEEK_MILVUS_TOKEN`` so that it never appears in a command line.

Parsing imports nothing heavy; pymilvus is imported when the store is first used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vidseek.core.errors import LibraryError
from vidseek.core.vector_index import VectorIndexFactory

ENV = "VIDSEEK_VECTOR_STORE"
TOKEN_ENV = "VIDSEEK_MILVUS_TOKEN"
DEFAULT_COLLECTION = "vidseek_segments"
_REMOTE = ("http://", "https://", "tcp://", "grpc://", "unix:")


@dataclass(frozen=True)
class MilvusLocation:
    """Where a Milvus collection lives: ``uri`` (a local .db file or a server) and its name."""

    uri: str
    collection: str = DEFAULT_COLLECTION

    @property
    def embedded(self) -> bool:
        """True for milvus-lite (a local file, one process at a time)."""
        return not self.uri.startswith(_REMOTE)

    def describe(self) -> str:
        return f"milvus:{self.uri}#{self.collection}"


def parse_vector_store(spec: str | None) -> MilvusLocation | None:
    """None for FAISS (``spec`` empty or ``faiss``), else where the Milvus collection is.
    LibraryError for anything else."""
    text = (spec or "").strip()
    if text in ("", "faiss"):
        return None
    if not text.startswith("milvus:"):
        raise LibraryError(
            f"unknown vector store {text!r}; expected faiss or milvus:PATH-OR-URI[#collection]"
        )
    where, _, collection = text[len("milvus:") :].partition("#")
    if not where:
        raise LibraryError("milvus: needs a file path or a URI, e.g. milvus:./vectors.db")
    collection = collection or DEFAULT_COLLECTION
    if not collection.replace("_", "a").isalnum() or collection[0].isdigit():
        raise LibraryError(
            f"Milvus collection name {collection!r} must be letters, digits and underscores, "
            "not starting with a digit"
        )
    if not where.startswith(_REMOTE):
        where = str(Path(where).expanduser().resolve())
    return MilvusLocation(where, collection)


def store_factory(spec: str | None = None) -> VectorIndexFactory | None:
    """The index factory for ``spec`` (default ``$VIDSEEK_VECTOR_STORE``); None means FAISS
    (imported lazily by ``Library``)."""
    location = parse_vector_store(spec if spec is not None else os.environ.get(ENV))
    if location is None:
        return None
    from vidseek.core.milvus_index import MilvusStore

    return MilvusStore(location, token=os.environ.get(TOKEN_ENV, ""))
