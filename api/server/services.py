"""The objects routes share, hung on ``app.state.services``; routes get them via ``services``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from api.server.jobs import JobManager
from api.server.metrics import RequestMetrics
from api.server.search_service import ResultCache
from api.server.segment_lookup import SegmentLookup
from api.server.state import ServerState
from api.server.thumbnails import ThumbnailCache


@dataclass
class Services:
    state: ServerState
    results: ResultCache
    segments: SegmentLookup
    thumbnails: ThumbnailCache
    jobs: JobManager
    metrics: RequestMetrics


def services(request: Request) -> Services:
    return request.app.state.services
