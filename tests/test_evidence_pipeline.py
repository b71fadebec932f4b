"""Evidence in the indexing job: every kind from one file, failures recorded per kind and
never failing the visual index, evidence added later without embedding again, and a job
killed inside an evidence commit resumed with nothing lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.evidence_media import speak, write_video
from vidseek.core.library import Library
from vidseek.core.models import load_encoder
from vidseek.indexer.decode import default_decoder
from vidseek.indexer.evidence import add_evidence, choose_kinds, parse_kinds
from vidseek.indexer.options import EvidenceOptions, IndexOptions
from vidseek.indexer.pipeline import index_paths

MODEL = "vidseek-demo:random"
ROOT = Path(__file__).resolve().parents[1]
ALL = ("subtitle", "speech", "ocr")
FPS = 5


def sign(text: str, background: tuple[int, int, int]) -> np.ndarray:
    image = Image.new("RGB", (480, 270), background)
    ImageDraw.Draw(image).text((30, 100), text, font=ImageFont.load_default(size=40))
    return np.asarray(image)


@pytest.fixture(scope="module")
def talking_sign(tmp_path_factory) -> Path:
    """6 s: a sign "SALE ENDS FRIDAY" for 3 s, then "OPEN" on red; a spoken question from
    1 s; an English mov_text stream; a German sidecar; and a video beside it whose only
    subtitle file is binary garbage."""
    folder = tmp_path_factory.mktemp("evidence")
    voice = speak("Where is the red ball?", folder / "voice.wav")
    audio = np.zeros(6 * 16000, np.float32)
    audio[16000 : 16000 + len(voice)] = voice[: 5 * 16000]
    frames = [sign("SALE ENDS FRIDAY", (20, 40, 140))] * (3 * FPS)
    frames += [sign("OPEN", (150, 20, 20))] * (3 * FPS)
    media = folder / "media"
    media.mkdir()
    write_video(
        media / "shop.mp4", frames, fps=FPS, audio=audio,
        subtitles=[("eng", "default", [(1.0, 2.5, "Where is the red ball?")])],
    )  # fmt: skip
    (media / "shop.de.srt").write_text("1\n00:00:01,000 --> 00:00:02,500\nWo ist der rote Ball?\n")
    write_video(media / "quiet.mp4", seconds=2.0)
    (media / "quiet.srt").write_bytes(b"\x00\x01\x02\x03" * 64)
    return media


@pytest.fixture(scope="module")
def encoder():
    return load_encoder(MODEL)


def options(kinds=ALL, **evidence) -> IndexOptions:
    return IndexOptions(fps=2.0, evidence=EvidenceOptions(kinds=kinds, **evidence))


def test_every_kind_from_one_job(tmp_path, talking_sign, encoder) -> None:
    with Library.open(tmp_path / "lib") as lib:
        report = index_paths(
            lib, encoder, [talking_sign], options=options(), decoder=default_decoder()
        )
        assert {o.path.name: o.status for o in report.outcomes} == {
            "shop.mp4": "indexed", "quiet.mp4": "indexed",
        }  # fmt: skip
        shop = lib.find_video_by_path(str(talking_sign / "shop.mp4")).id
        quiet = lib.find_video_by_path(str(talking_sign / "quiet.mp4")).id
        cat = lib.catalog

        subs = [(s.text, s.language, s.source) for s in cat.text_spans(shop, "subtitle")]
        assert sorted(subs) == [
            ("Where is the red ball?", "en", "stream:2"),
            ("Wo ist der rote Ball?", "de", "sidecar:shop.de.srt"),
        ]
        (heard,) = cat.text_spans(shop, "speech")
        assert "ball" in heard.text.lower() and heard.language == "en"
        assert 0.5 <= heard.start <= 1.6 and heard.words
        seen = {
            "".join(s.text.split()).upper(): (s.start, s.end) for s in cat.text_spans(shop, "ocr")
        }
        assert seen["SALEENDSFRIDAY"][0] == 0.0 and 2.5 <= seen["SALEENDSFRIDAY"][1] <= 3.5
        assert 2.5 <= seen["OPEN"][0] <= 3.5

        status = cat.evidence_status(shop)
        assert {k: status[k].status for k in ALL} == dict.fromkeys(ALL, "done")
        assert status["speech"].model == "whisper:tiny.en"
        # the bad subtitle file fails subtitles for its video, with the file named; its
        # pictures are indexed and its other evidence is done
        bad = cat.evidence_status(quiet)
        assert bad["subtitle"].status == "failed"
        assert "quiet.srt: binary data" in bad["subtitle"].error
        assert bad["speech"].status == bad["ocr"].status == "done"
        assert lib.video(quiet).status == "indexed" and lib.segments(quiet)

        done = {(e.path.rsplit("/", 1)[1], e.kind): e.status for e in report.evidence}
        assert done[("quiet.mp4", "subtitle")] == "failed" and len(done) == 6
        assert set(report.stages) == {"visual", *ALL}
        assert all(v > 0 for v in report.stages.values())


def test_a_failing_kind_is_recorded_and_retried_later(tmp_path, talking_sign, encoder) -> None:
    with Library.open(tmp_path / "lib") as lib:
        broken = options(("speech",), asr_model="no-such-whisper")
        report = index_paths(
            lib, encoder, [talking_sign], options=broken, decoder=default_decoder()
        )
        assert len(report.of("indexed")) == 2
        assert {e.status for e in report.evidence} == {"failed"}
        vid = lib.find_video_by_path(str(talking_sign / "shop.mp4")).id
        run = lib.catalog.evidence_status(vid)["speech"]
        assert run.status == "failed" and "unknown ASR model 'no-such-whisper'" in run.error
        # the next job over unchanged files embeds nothing and redoes only what failed
        again = index_paths(lib, encoder, [talking_sign], options=options(("speech",)))
        assert again.frames == 0 and {o.status for o in again.outcomes} == {"unchanged"}
        assert {e.status for e in again.evidence} == {"done"}
        assert lib.catalog.text_spans(vid, "speech")


def test_evidence_added_without_embedding(tmp_path, talking_sign, encoder) -> None:
    with Library.open(tmp_path / "lib") as lib:
        decoder = default_decoder()
        index_paths(lib, encoder, [talking_sign], options=options(None), decoder=decoder)
        assert choose_kinds(lib.catalog, None) == ("subtitle",)  # the default
        assert lib.catalog.count_text_spans("ocr") == 0
        frames_before = lib.catalog.count_frames()
        kinds = choose_kinds(lib.catalog, parse_kinds("ocr"), add=True)
        assert kinds == ("subtitle", "ocr")
        outcomes, seconds = add_evidence(lib.catalog, kinds, options(), decoder=default_decoder())
        assert sorted((Path(o.path).name, o.kind, o.status) for o in outcomes) == [
            ("quiet.mp4", "ocr", "done"),
            ("quiet.mp4", "subtitle", "failed"),  # not done before: tried again
            ("shop.mp4", "ocr", "done"),
        ]
        assert lib.catalog.count_text_spans("ocr") >= 2 and seconds["ocr"] > 0
        assert lib.catalog.count_frames() == frames_before
        # remembered: the next plain job keeps extracting both
        assert choose_kinds(lib.catalog, None) == ("subtitle", "ocr")


def test_parse_kinds() -> None:
    assert parse_kinds("speech,subtitles,ocr,visual") == ("subtitle", "speech", "ocr")
    assert parse_kinds("visual") == () and parse_kinds("none") == ()
    with pytest.raises(ValueError, match="unknown kind of evidence 'audio'"):
        parse_kinds("audio")


def test_a_job_killed_inside_an_evidence_commit_resumes(tmp_path, talking_sign, encoder) -> None:
    library = tmp_path / "lib"
    cmd = [sys.executable, "-m", "vidseek.cli.main", "--library", str(library), "--model", MODEL]
    cmd += ["index", str(talking_sign / "shop.mp4"), "--fps", "2", "--no-progress"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "VIDSEEK_FAULT": "evidence-commit:1"}
    killed = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr
    with Library.open(library, read_only=True) as lib:
        vid = lib.videos()[0].id
        assert lib.video(vid).status == "indexed"  # the pictures were committed
        assert lib.catalog.evidence_status(vid) == {}  # the subtitles' commit died
        assert lib.catalog.count_text_spans() == 0
    with Library.open(library) as lib:  # the next run (in this process: quicker)
        again = index_paths(lib, encoder, [talking_sign / "shop.mp4"], options=options(None))
        assert [o.status for o in again.outcomes] == ["unchanged"] and again.frames == 0
        assert [(e.kind, e.status, e.spans) for e in again.evidence] == [("subtitle", "done", 2)]
        assert lib.catalog.evidence_status(vid)["subtitle"].status == "done"
        assert lib.catalog.count_text_spans("subtitle") == 2


def test_cli_add_and_the_python_api(tmp_path, talking_sign) -> None:
    from click.testing import CliRunner

    import vidseek
    from vidseek.cli.main import cli

    prefix = ["--library", str(tmp_path / "lib"), "--model", MODEL]
    shop = str(talking_sign / "shop.mp4")
    first = CliRunner().invoke(cli, [*prefix, "index", shop, "--fps", "2", "--evidence", "none"])
    assert first.exit_code == 0, first.output
    assert "stages:" not in first.output  # visual only: no evidence stage
    bad = CliRunner().invoke(cli, [*prefix, "index", "--add", "audio"])
    assert bad.exit_code == 2 and "unknown kind of evidence 'audio'" in bad.output
    added = CliRunner().invoke(cli, [*prefix, "index", "--add", "subtitles", str(talking_sign)])
    assert added.exit_code == 0, added.output
    assert "evidence added to 1 videos" in added.output
    assert "subtitle: 1 done (2 spans), 0 failed" in added.output
    info = json.loads(CliRunner().invoke(cli, [*prefix, "info", "--json"]).output)
    assert info["text_spans"] == {"speech": 0, "subtitle": 2, "ocr": 0}
    assert info["evidence"] == ["subtitle"]  # "none" then --add subtitles
    shown = CliRunner().invoke(cli, [*prefix, "videos", "show", "1", "--json", "--text"])
    assert shown.exit_code == 0, shown.output
    detail = json.loads(shown.output)
    assert detail["evidence"]["subtitle"] == {
        "kind": "subtitle", "status": "done", "error": None,
        "model": "stream:2,sidecar:shop.de.srt", "spans": 2,
    }  # fmt: skip
    assert [s["text"] for s in detail["text_spans"]][1] == "Wo ist der rote Ball?"
    text = CliRunner().invoke(cli, [*prefix, "videos", "show", "1", "--text"]).output
    assert "subtitle  done, 2 spans" in text and "subtitle [de]: Wo ist der rote Ball?" in text
    with vidseek.open_library(tmp_path / "lib", model=MODEL) as library:
        (video,) = library.videos()
        assert [s.text for s in library.text_spans(video.id)] == [
            "Where is the red ball?", "Wo ist der rote Ball?",
        ]  # fmt: skip
        assert library.evidence_status(video.id)["subtitle"].status == "done"
        outcomes, _ = library.add_evidence(["subtitles"])  # nothing left to do
        assert outcomes == []


def test_mcp_tools_index_with_evidence_and_report_it(tmp_path, talking_sign) -> None:
    import vidseek
    from vidseek.mcp.tools import LibraryTools

    with vidseek.open_library(tmp_path / "lib", model=MODEL) as session:
        tools = LibraryTools(session, allow_indexing=True)
        done = tools.index_paths([str(talking_sign / "quiet.mp4")], evidence=["subtitles"])
        (video,) = done["files"]
        info = tools.video_info(video["video_id"])
        assert info["evidence"]["subtitle"]["status"] == "failed"
        assert "quiet.srt: binary data" in info["evidence"]["subtitle"]["error"]


def test_a_reader_that_crashes_costs_one_kind_of_one_file(
    tmp_path, talking_sign, encoder, monkeypatch
) -> None:
    # each evidence worker process dies the 2nd time it reads audio: quiet.mp4's is read,
    # shop.mp4's kills the worker
    monkeypatch.setenv("VIDSEEK_FAULT", "read-audio:2")
    with Library.open(tmp_path / "lib") as lib:
        report = index_paths(lib, encoder, [talking_sign], options=options())
        assert {o.status for o in report.outcomes} == {"indexed"}
        runs = {(Path(e.path).name, e.kind): (e.status, e.message) for e in report.evidence}
        assert {k: s for k, (s, _) in runs.items()} == {
            ("quiet.mp4", "subtitle"): "failed",  # its binary sidecar
            ("quiet.mp4", "speech"): "done",
            ("quiet.mp4", "ocr"): "done",
            ("shop.mp4", "subtitle"): "done",
            ("shop.mp4", "speech"): "failed",
            ("shop.mp4", "ocr"): "done",  # read by a new worker
        }
        message = runs[("shop.mp4", "speech")][1]
        assert message == "reading the audio failed: decoder crashed (signal SIGKILL)"
        shop = lib.find_video_by_path(str(talking_sign / "shop.mp4")).id
        assert lib.catalog.evidence_status(shop)["speech"].status == "failed"
        assert lib.catalog.text_spans(shop, "ocr")
