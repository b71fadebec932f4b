"""Progress: a terminal bar with files, frames/s and ETA; JSON-lines events for machines."""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner

from vidseek.cli.main import cli
from vidseek.cli.progress import Fanout, JsonLogProgress, TerminalProgress, summary
from vidseek.demo.render import generate_library
from vidseek.indexer.pipeline import FileOutcome, IndexReport

MODEL = "vidseek-demo:random"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_bar_shows_files_frames_rate_and_eta():
    out = Tty()
    bar = TerminalProgress(stream=out)
    assert bar.enabled  # on a terminal by default
    bar.started(4)
    bar.frames_encoded(120)
    bar.file_finished(FileOutcome(Path("a.mp4"), "indexed", frames=120))
    bar.file_finished(FileOutcome(Path("b.mp4"), "failed", "empty file"))
    bar.close()
    text = out.getvalue()
    assert "2/4 files" in text and "ETA" in text
    assert "120 frames" in text and "frames/s" in text and "1 failed" in text


def test_terminal_bar_is_quiet_off_a_terminal():
    out = io.StringIO()
    bar = TerminalProgress(stream=out)
    bar.started(2)
    bar.frames_encoded(5)
    bar.file_finished(FileOutcome(Path("a.mp4"), "indexed", frames=5))
    bar.close()
    assert out.getvalue() == ""


def test_json_events_and_fanout():
    out = io.StringIO()
    log = JsonLogProgress(out)
    counted: list[str] = []

    class Counter:
        def started(self, total_files: int) -> None:
            counted.append(f"started {total_files}")

        def file_started(self, path: Path) -> None: ...

        def frames_encoded(self, count: int) -> None:
            counted.append(f"frames {count}")

        def file_finished(self, outcome: FileOutcome) -> None:
            counted.append(outcome.status)

    both = Fanout(log, Counter())
    both.started(2)
    both.frames_encoded(8)
    done = FileOutcome(Path("/v/a.mp4"), "indexed", "", 8, 3, 1, 2.0)
    moved = FileOutcome(Path("/v/b.mp4"), "moved", "moved from /old/b.mp4", video_id=2)
    both.file_finished(done)
    both.file_finished(moved)
    log.finished(IndexReport([done, moved], 1.5, ["/v/gone.mp4"]))
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e["event"] for e in events] == [
        "job_started", "file_finished", "file_finished", "job_finished",
    ]  # fmt: skip
    assert events[0]["files"] == 2
    assert {k: events[1][k] for k in ("path", "status", "reason", "frames", "segments")} == {
        "path": "/v/a.mp4", "status": "indexed", "reason": "", "frames": 8, "segments": 3,
    }  # fmt: skip
    assert events[2]["reason"] == "moved from /old/b.mp4"
    assert {k: v for k, v in events[3].items() if k not in ("event", "time")} == {
        "indexed": 1, "unchanged": 0, "moved": 1, "failed": 0, "pruned": 1, "frames": 8,
        "seconds": 1.5, "stages": {}, "evidence": {},
    }  # fmt: skip
    assert counted == ["started 2", "frames 8", "indexed", "moved"]


def test_cli_log_json(tmp_path):
    media = tmp_path / "media"
    generate_library(media, 2, seed=3, duration=(1.0, 1.0), size=(96, 64), fps=6)
    (media / "broken.mp4").write_bytes(b"\x00" * 64)
    args = ["--library", str(tmp_path / "lib"), "--model", MODEL, "index", str(media)]
    result = CliRunner().invoke(cli, [*args, "--fps", "2", "--log-json"])
    assert result.exit_code == 0, result.output
    assert "indexed 2, unchanged 0, failed 1" in result.stdout
    events = [json.loads(x) for x in result.stderr.splitlines() if x.startswith("{")]
    assert events[0] == {**events[0], "event": "job_started", "files": 3}
    files = {Path(e["path"]).name: e for e in events if e["event"] == "file_finished"}
    assert files["broken.mp4"]["status"] == "failed" and files["broken.mp4"]["reason"]
    assert sorted(e["frames"] for e in files.values()) == [0, 2, 2]
    assert events[-1]["event"] == "job_finished"
    assert summary(IndexReport()) == {
        "indexed": 0, "unchanged": 0, "moved": 0, "failed": 0, "pruned": 0, "frames": 0,
        "seconds": 0.0, "stages": {}, "evidence": {},
    }  # fmt: skip
    assert set(events[-1]["stages"]) == {"visual", "subtitle"}  # subtitles: on by default
    assert (events[-1]["indexed"], events[-1]["failed"], events[-1]["frames"]) == (2, 1, 4)
