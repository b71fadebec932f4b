"""The MCP server: ``LibraryTools`` as Model Context Protocol tools (official ``mcp`` SDK).

Tools: ``search_moments``, ``similar_moments`` (where the session can find similar moments),
``video_info``, ``list_videos``, ``moment_thumbnail`` (an image content block) and, only when
the server is built with ``allow_indexing``, ``index_paths``. Tool calls run one at a time
(one lock): the session and its library are shared by all of them.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from mcp.server.mcpserver import Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from vidseek.core.errors import VidseekError
from vidseek.mcp.tools import LibraryTools
from vidseek.session import Session

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True)
INSTRUCTIONS = (
    "vidseek searches a video library by what is seen, said and written in each moment. "
    "search_moments takes a text (any language the model knows) or an image and returns "
    "moments: video_id, path, start and end in seconds, score, matched (the evidence that "
    "found it: visual, speech, subtitle, ocr) and snippet (the matching words with their "
    "time). moment_thumbnail shows a moment."
)

T = TypeVar("T")


def build_server(
    session: Session, *, allow_indexing: bool = False
) -> tuple[MCPServer, LibraryTools]:
    """The server and the tools behind it (close the tools when the server stops)."""
    tools = LibraryTools(session, allow_indexing=allow_indexing)
    server = MCPServer("vidseek", instructions=INSTRUCTIONS, log_level="WARNING")
    lock = threading.Lock()

    def locked(fn: Callable[..., T], *args: Any) -> T:
        """Run one tool call alone; a deliberate error reaches the client as its message."""
        with lock:
            try:
                return fn(*args)
            except (VidseekError, ValueError) as exc:
                raise ToolError(str(exc)) from exc

    @server.tool(annotations=READ_ONLY)
    def search_moments(
        text: str | None = None,
        image_path: str | None = None,
        image_base64: str | None = None,
        k: int = 10,
        per_video: int | None = None,
        path_prefix: list[str] | None = None,
        video_ids: list[int] | None = None,
        min_score: float | None = None,
        collapse_duplicates: bool = False,
        modalities: list[str] | None = None,
        min_confidence: float | None = None,
        then: str | None = None,
        max_gap: float | None = None,
        not_texts: list[str] | None = None,
        text_weight: float | None = None,
        min_duration: float | None = None,
        max_duration: float | None = None,
        min_width: int | None = None,
        max_width: int | None = None,
        min_height: int | None = None,
        max_height: int | None = None,
        modified_after: str | None = None,
        modified_before: str | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
        language: list[str] | None = None,
        has_speech: bool | None = None,
        has_subtitles: bool | None = None,
    ) -> dict[str, Any]:
        """Find the moments of the library that best match a text, or an image (a file path
        on the server's machine, or base64 bytes). Give a text, or one of image_path,
        image_base64 (with a text too, the image is moved towards it: a red circle and
        "blue" finds blue circles; text_weight, default 2, says how far).
        k: how many moments (1..1000); per_video: at most this many of one
        video; path_prefix: only videos under these folders/prefixes; video_ids: only these
        videos; min_score: drop moments below this cosine; collapse_duplicates: one result
        per moment, its copies in other videos (re-encodes, crops, trims) listed in its
        "copies"; modalities: for a text, search only some evidence, any of "visual"
        (what is seen), "speech", "subtitle", "ocr" (on-screen text); default all, fused, an
        exact spoken or written phrase first ("words in quotes" must occur together).
        min_confidence: for a text, drop moments whose calibrated confidence (0-1) is lower;
        default the model's cut-off, so a text for something absent returns no results and
        a no_match object saying why (0 returns every moment).
        Returns results with video_id, path, start, end (seconds), score, matched,
        snippet ({text, kind, start, end, language} or null), confidence and
        confidence_level (high, medium, low; text queries), best first.
        then: temporal order, spans where text is followed by this in one video, at most
        max_gap seconds later (default 10), from the first's start to the second's end.
        not_texts: leave out moments that also show one of these ("a black background").
        Filters on the videos: min/max_duration (seconds), min/max_width and min/max_height
        (pixels), modified_after/before (file date) and created_after/before (the
        container's creation time) as ISO 8601 dates, language (codes such as "en", for
        speech or subtitles), has_speech, has_subtitles."""
        sharper = {
            "then": then, "max_gap": max_gap, "not_texts": not_texts, "text_weight": text_weight,
            "min_duration": min_duration, "max_duration": max_duration, "min_width": min_width,
            "max_width": max_width, "min_height": min_height, "max_height": max_height,
            "modified_after": modified_after, "modified_before": modified_before,
            "created_after": created_after, "created_before": created_before,
            "language": language, "has_speech": has_speech, "has_subtitles": has_subtitles,
        }  # fmt: skip
        return locked(
            functools.partial(tools.search_moments, **sharper),
            text,
            image_path,
            image_base64,
            k,
            per_video,
            path_prefix,
            video_ids,
            min_score,
            collapse_duplicates,
            modalities,
            min_confidence,
        )

    @server.tool(annotations=READ_ONLY)
    def similar_moments(
        video_id: int,
        start: float | None = None,
        end: float | None = None,
        k: int = 10,
        per_video: int | None = None,
        include_source: bool = False,
    ) -> dict[str, Any]:
        """Find moments that look like the moment start..end (seconds) of video_id (the
        whole video without start/end), from the vectors already indexed. The source
        video's own moments are left out unless include_source."""
        return locked(tools.similar_moments, video_id, start, end, k, per_video, include_source)

    @server.tool(annotations=READ_ONLY)
    def video_info(video_id: int) -> dict[str, Any]:
        """One video of the library: path, duration, fps, size, frame and segment counts,
        its segments (start, end in seconds), and which text evidence (speech, subtitle,
        ocr) was extracted or failed and why."""
        return locked(tools.video_info, video_id)

    @server.tool(annotations=READ_ONLY)
    def list_videos(offset: int = 0, limit: int = 100, status: str = "indexed") -> dict[str, Any]:
        """The library's videos, a page at a time (status "indexed" or "failed"); total and
        next_offset say whether there are more."""
        return locked(tools.list_videos, offset, limit, status)

    @server.tool(annotations=READ_ONLY)
    def moment_thumbnail(video_id: int, start: float, end: float | None = None) -> Image:
        """A JPEG of the moment start..end (seconds) of video_id: the frame in its middle."""
        return Image(data=locked(tools.moment_thumbnail, video_id, start, end), format="jpeg")

    if allow_indexing:

        @server.tool(annotations=WRITES)
        def index_paths(paths: list[str], evidence: list[str] | None = None) -> dict[str, Any]:
            """Index video files and folders (recursive, incremental: unchanged files are
            skipped) on the server's machine into the library. evidence: the text to extract
            besides the pictures ("subtitles", "speech", "ocr"; default: what the library
            was last indexed with, else subtitles). Returns each file's status."""
            return locked(tools.index_paths, paths, evidence)

    return server, tools
