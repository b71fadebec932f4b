"""The objects routes share, hung on ``app.state.services``; routes get them via ``services``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from vidseek.api.jobs import JobManager
from vidseek.api.metrics import RequestMetrics
from vidseek.api.search_service import ResultCache
from vidseek.api.segment_lookup import SegmentLookup
from vidseek.api.state import ServerState
from vidseek.api.thumbnails import ThumbnailCache


@dataclass
class Services:
    state: ServerState
    results: ResultCache
    segments: SegmentLookup
    thumbnails: ThumbnailCache
    jobs: JobManager
    metrics: RequestMetrics


async def services(request: Request) -> Services:  # async: resolved without a pool thread
    return request.app.state.services
