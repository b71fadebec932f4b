"""POST /index with the kinds of text evidence to extract."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.api_server import built_library, live_server, server_config, wait_for_job
from vidseek.core.library import Library


def test_index_job_extracts_the_evidence_asked_for(tmp_path) -> None:
    library = built_library()
    root = tmp_path / "media"
    root.mkdir()
    shutil.copy(library.videos[0], root / "a.mp4")
    (root / "a.fr.srt").write_text("1\n00:00:00,500 --> 00:00:01,500\nUn cercle rouge\n")
    shutil.copy(library.videos[1], root / "b.mp4")
    (root / "b.srt").write_bytes(b"\x00garbage\x01" * 50)
    home = tmp_path / "library"
    config = server_config(library, home=home, media_roots=(root,))
    with live_server(config) as server, server.client() as client:
        bad = client.post("/index", json={"paths": ["a.mp4"], "evidence": ["audio"]})
        assert bad.status_code == 422
        job = client.post("/index", json={"paths": ["."], "evidence": ["subtitles"]})
        assert job.status_code == 202, job.text
        done = wait_for_job(client, job.json()["id"])
        assert done["state"] == "succeeded" and done["files_indexed"] == 2, done
        videos = {Path(v["path"]).name: v["id"] for v in client.get("/videos").json()["videos"]}
        detail = client.get(f"/videos/{videos['b.mp4']}").json()
        assert detail["evidence"]["subtitle"]["status"] == "failed"
        assert "b.srt: binary data" in detail["evidence"]["subtitle"]["error"]
        assert client.get(f"/videos/{videos['a.mp4']}").json()["evidence"]["subtitle"] == {
            "kind": "subtitle", "status": "done", "error": None,
            "model": "sidecar:a.fr.srt", "spans": 1,
        }  # fmt: skip
    with Library.open(home, read_only=True) as lib:
        a = lib.find_video_by_path(str(root / "a.mp4")).id
        b = lib.find_video_by_path(str(root / "b.mp4")).id
        (span,) = lib.catalog.text_spans(a)
        assert (span.text, span.language, span.kind) == ("Un cercle rouge", "fr", "subtitle")
        failed = lib.catalog.evidence_status(b)["subtitle"]
        assert failed.status == "failed" and "b.srt: binary data" in failed.error
        assert lib.video(b).status == "indexed"


def test_index_jobs_use_the_servers_speech_model(tmp_path) -> None:
    library = built_library()
    root = tmp_path / "media"
    root.mkdir()
    shutil.copy(library.videos[0], root / "a.mp4")
    not_a_model = tmp_path / "asr"
    not_a_model.mkdir()
    home = tmp_path / "library"
    config = server_config(library, home=home, media_roots=(root,), asr_model=str(not_a_model))
    with live_server(config) as server, server.client() as client:
        job = client.post("/index", json={"paths": ["a.mp4"], "evidence": ["speech"]})
        assert job.status_code == 202, job.text
        assert wait_for_job(client, job.json()["id"])["files_indexed"] == 1
        (video,) = client.get("/videos").json()["videos"]
        speech = client.get(f"/videos/{video['id']}").json()["evidence"]["speech"]
    # the job tried the server's model, not the default tiny.en, and the pictures stay indexed
    assert speech["status"] == "failed" and str(not_a_model) in speech["error"], speech
    assert video["status"] == "indexed"


def test_serve_refuses_a_speech_model_it_cannot_use_before_serving(tmp_path) -> None:
    from click.testing import CliRunner

    from vidseek.cli.main import cli

    empty = tmp_path / "asr"
    empty.mkdir()
    home = str(tmp_path / "library")
    result = CliRunner().invoke(cli, ["--library", home, "serve", "--asr-model", str(empty)])
    assert result.exit_code != 0
    assert "holds no CTranslate2 Whisper model" in (result.output + str(result.exception))
