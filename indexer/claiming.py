"""Sharing one job's work with other indexer processes on the same library (multi-writer).

Each file is claimed (``search.catalog.claims``) just before the executor picks it up, so two
processes indexing the same folders split it between them instead of both embedding
everything. A file another live process holds is deferred; once our own work is done we wait
for those: each ends committed by its holder (reported, not redone) or, if the holder died,
its lease runs out and we take it over. Claims are released after the writer committed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from vidseek.core.catalog.claims import ClaimBoard, owner_is_dead_here
from vidseek.core.library import Library
from vidseek.core.types import Encoder, VideoRecord
from vidseek.indexer.embed import WorkItem
from vidseek.indexer.executors import Executor, Result
from vidseek.indexer.options import IndexOptions

__all__ = ["ClaimedItems", "claimed_map"]

POLL_S = 0.5

# Called for an item another process committed meanwhile, with its catalog record.
OnSkip = Callable[[WorkItem, VideoRecord], None]
# Called when an item is handed to the executor (claimed, about to be embedded).
OnStart = Callable[[WorkItem], None]


class ClaimedItems:
    """The items of one round, claimed lazily as the executor iterates (once).

    ``len`` is the number of candidates; fewer come out when others hold some of them."""

    def __init__(
        self,
        items: Sequence[WorkItem],
        board: ClaimBoard,
        library: Library,
        on_skip: OnSkip,
        on_start: OnStart | None = None,
    ) -> None:
        self._items = list(items)
        self._board = board
        self._library = library
        self._on_skip = on_skip
        self._on_start = on_start
        self.deferred: list[tuple[WorkItem, int | None]] = []  # with the path's record id then

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[WorkItem]:
        for item in self._items:
            if not self._board.try_claim(item.content_hash, str(item.path)):
                known = self._library.find_video_by_path(str(item.path))
                self.deferred.append((item, known.id if known else None))
                continue
            # Someone may have committed it between our reading and our claiming.
            done = self._library.find_video_by_hash(item.content_hash)
            if done is not None:
                self._board.release(item.content_hash)
                self._on_skip(item, done)
                continue
            if self._on_start is not None:
                self._on_start(item)
            yield item


def claimed_map(
    library: Library,
    executor: Executor,
    items: Sequence[WorkItem],
    encoder: Encoder,
    options: IndexOptions,
    on_frames: Callable[[int], None],
    on_skip: OnSkip,
    *,
    on_start: OnStart | None = None,
    lease_s: float | None = None,
) -> Iterator[tuple[WorkItem, Result]]:
    """``executor.map`` over ``items`` that never embeds what another process is embedding.

    The consumer must commit each yielded result before pulling the next one: the claim is
    released when the next is pulled."""
    kwargs = {} if lease_s is None else {"lease_s": lease_s}
    with ClaimBoard(library.catalog.engine, **kwargs) as board:
        pending: list[tuple[WorkItem, int | None]] = [(item, None) for item in items]
        while pending:
            todo = [item for item, _ in pending]
            batch = ClaimedItems(todo, board, library, on_skip, on_start)
            for item, result in executor.map(batch, encoder, options, on_frames):
                yield item, result
                board.release(item.content_hash)
            pending = _wait_for_others(batch.deferred, board, library, on_skip)


def _wait_for_others(
    deferred: list[tuple[WorkItem, int | None]],
    board: ClaimBoard,
    library: Library,
    on_skip: OnSkip,
) -> list[tuple[WorkItem, int | None]]:
    """Block until each deferred item is committed by its holder (reported through
    ``on_skip``) or can be claimed by us; return those still to do (empty: all done)."""
    waiting = list(deferred)
    while waiting:
        still: list[tuple[WorkItem, int | None]] = []
        claimable = False
        for item, seen_id in waiting:
            done = library.find_video_by_hash(item.content_hash)
            if done is None:
                # A new failure record of this path: its holder tried and failed; not again.
                record = library.find_video_by_path(str(item.path))
                if record is not None and record.id != seen_id and record.status == "failed":
                    if record.content_hash == item.content_hash:
                        done = record
            if done is not None:
                on_skip(item, done)
                continue
            holder = board.holder(item.content_hash)
            if holder is None or holder.expired or owner_is_dead_here(holder.owner):
                claimable = True
            still.append((item, seen_id))
        if claimable or not still:
            return still
        waiting = still
        time.sleep(POLL_S)
    return []
