"""Pages of a ranked result list: a query ranks a window of clips once; pages are slices of it,
so pages never overlap and ``total`` stays the same from page to page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from vidseek.core.errors import QueryError
from vidseek.search.query import MAX_K

T = TypeVar("T")

RESULT_WINDOW = 100  # clips ranked per query unless a page reaches further
MAX_OFFSET = 100_000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int  # results (clips or videos) in the whole ranked window
    offset: int
    k: int

    @property
    def next_offset(self) -> int | None:
        """Offset of the next page; None on the last."""
        end = self.offset + self.k
        return end if end < self.total else None


def check_page(offset: int, k: int) -> None:
    if not 0 <= offset <= MAX_OFFSET:
        raise QueryError(f"offset must be between 0 and {MAX_OFFSET}, got {offset}")
    if k < 1:
        raise QueryError(f"k must be at least 1, got {k}")


def result_window(offset: int, k: int, at_least: int = RESULT_WINDOW, at_most: int = MAX_K) -> int:
    """Clips to rank so that the page ``offset``..``offset + k`` can be cut from them."""
    check_page(offset, k)
    if k > at_most:
        raise QueryError(f"k must be at most {at_most}, got {k}")
    return min(max(at_least, offset + k), at_most)


def cut_page(items: Sequence[T], offset: int, k: int) -> Page[T]:
    """The ``k`` items from ``offset`` of the whole ranked list ``items``."""
    check_page(offset, k)
    return Page(list(items[offset : offset + k]), len(items), offset, k)
