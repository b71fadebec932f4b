"""A running server sees videos another process commits within 2 s, by catching up from the
catalog, never by rebuilding its vector index while that writer is between snapshot saves."""

from __future__ import annotations

import logging
import shutil
import time

from tests.api_server import RANDOM_MODEL, built_library, live_server, server_config
from vidseek.core.library import Library
from vidseek.core.models import load_encoder
from vidseek.indexer.decode import default_decoder
from vidseek.indexer.pipeline import index_paths


def test_commits_of_another_writer_are_searchable_within_2_s_without_a_rebuild(tmp_path, caplog):
    source = built_library()
    library = source.copy(tmp_path / "library")
    new_video = tmp_path / "new.mp4"
    shutil.copy(built_library(n_videos=1, seed=99).videos[0], new_video)
    encoder = load_encoder(RANDOM_MODEL)
    caplog.set_level(logging.WARNING)
    with live_server(server_config(library)) as server, server.client() as client:
        assert len(client.get("/search", params={"q": "a circle", "k": 50}).json()["results"])
        with Library.open(library.home) as writer, writer.batch():  # no snapshot save inside
            report = index_paths(writer, encoder, [new_video], decoder=default_decoder())
            (outcome,) = report.outcomes
            assert outcome.status == "indexed"
            committed = time.monotonic()
            seen = None
            while time.monotonic() - committed < 10:
                hits = client.get("/search", params={"q": "a circle", "k": 100}).json()
                if any(r["video_id"] == outcome.video_id for r in hits["results"]):
                    seen = time.monotonic() - committed
                    break
                time.sleep(0.05)
        assert seen is not None and seen < 2.0, seen
    rebuilds = [r.getMessage() for r in caplog.records if "rebuilt" in r.getMessage()]
    assert rebuilds == []
