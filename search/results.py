"""One ranked window of clips → one page of clips or of videos (the CLI and the server)."""

from __future__ import annotations

from collections.abc import Sequence

from vidseek.core.errors import QueryError
from vidseek.core.types import Clip
from vidseek.search.grouping import GROUP_BY, GroupBy, VideoGroup, group_by_video
from vidseek.search.paging import Page, cut_page


def ranking_per_video(group_by: GroupBy, per_video: int | None) -> int | None:
    """The per-video cap while ranking: clip pages cap there; video pages rank every clip
    (a group's ``clip_count``) and cap only the clips each group shows."""
    check_group_by(group_by)
    return per_video if group_by == "clip" else None


def page_of(
    clips: Sequence[Clip],
    offset: int,
    k: int,
    group_by: GroupBy = "clip",
    per_video: int | None = None,
) -> Page[Clip] | Page[VideoGroup]:
    """Clips ``offset``..``offset + k`` of ``clips`` (ranked, best first), or videos there."""
    check_group_by(group_by)
    if group_by == "video":
        return cut_page(group_by_video(clips, per_video), offset, k)
    return cut_page(clips, offset, k)


def check_group_by(group_by: str) -> None:
    if group_by not in GROUP_BY:
        raise QueryError(f"group_by is one of {', '.join(GROUP_BY)}, got {group_by!r}")
