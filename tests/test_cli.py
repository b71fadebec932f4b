"""The `vidseek` CLI end to end on generated media, with a random-initialised demo-size model."""

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from vidseek.cli.main import cli
from vidseek.demo.render import generate_library

MODEL = "vidseek-demo:random"


@pytest.fixture(scope="module")
def cli_media(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("media")
    generate_library(folder, 3, seed=11, duration=(6.0, 9.0), size=(160, 120), fps=12)
    return folder


def run(library: Path, *args: str, model: str | None = MODEL):
    prefix = ["--library", str(library)] + (["--model", model] if model else [])
    return CliRunner().invoke(cli, [*prefix, *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def indexed(cli_media, tmp_path_factory) -> Path:
    library = tmp_path_factory.mktemp("library")
    result = run(library, "index", str(cli_media))
    assert result.exit_code == 0, result.output
    assert "indexed 3, unchanged 0, failed 0" in result.output
    return library


def test_reindexing_an_unchanged_folder_embeds_nothing(indexed, cli_media):
    result = run(indexed, "index", str(cli_media))
    assert result.exit_code == 0, result.output
    assert "indexed 0, unchanged 3, failed 0 (0 frames" in result.output


def test_search_json_contract(indexed):
    result = run(indexed, "search", "a red circle", "--json", "-k", "3")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["query"] == "a red circle"
    assert 1 <= len(payload["results"]) <= 3
    for item in payload["results"]:
        assert isinstance(item["video_id"], int) and isinstance(item["path"], str)
        assert 0.0 <= item["start"] < item["end"]
        assert isinstance(item["score"], float)
    scores = [r["score"] for r in payload["results"]]
    assert scores == sorted(scores, reverse=True)


def test_search_is_deterministic(indexed):
    first = run(indexed, "search", "ein roter Kreis", "--json").output
    assert run(indexed, "search", "ein roter Kreis", "--json").output == first


def test_search_uses_the_librarys_model_when_none_is_given(indexed):
    result = run(indexed, "search", "a star", "--json", model=None)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["results"]


def test_batch_search_prints_one_json_line_per_query(indexed, tmp_path):
    queries = tmp_path / "queries.txt"
    queries.write_text("a red circle\n\n红色的圆形\nune étoile verte\n", encoding="utf-8")
    result = run(indexed, "search", "--batch", str(queries))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["query"] for line in lines] == ["a red circle", "红色的圆形", "une étoile verte"]
    assert all(line["results"] for line in lines)


def test_bad_search_requests_fail_cleanly(indexed):
    assert run(indexed, "search", "   ").exit_code == 2
    assert run(indexed, "search", "x", "-k", "0").exit_code == 2
    assert run(indexed, "search").exit_code != 0  # neither text nor image
    missing = run(indexed, "search", "--image", "/nonexistent/frame.png")
    assert missing.exit_code != 0


def test_videos_list_show_remove_and_info(cli_media, tmp_path):
    library = tmp_path / "lib"
    shutil.copytree(cli_media, tmp_path / "m")
    assert run(library, "index", str(tmp_path / "m")).exit_code == 0
    listed = [json.loads(x) for x in run(library, "videos", "list", "--json").output.splitlines()]
    assert len(listed) == 3
    shown = json.loads(run(library, "videos", "show", str(listed[0]["id"]), "--json").output)
    assert shown["segments"] and shown["path"] == listed[0]["path"]
    assert run(library, "videos", "remove", str(listed[0]["id"])).exit_code == 0
    info = json.loads(run(library, "info", "--json").output)
    assert info["videos"] == 2 and info["model"].startswith("vidseek-demo")
    results = json.loads(run(library, "search", "a square", "--json", "-k", "50").output)
    assert listed[0]["id"] not in {r["video_id"] for r in results["results"]}
    assert run(library, "videos", "show", "999999").exit_code == 2


def test_bad_files_fail_with_reasons_while_good_ones_index(cli_media, tmp_path):
    folder = tmp_path / "mixed"
    shutil.copytree(cli_media, folder)
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "noise.mkv").write_bytes(bytes(range(256)) * 64)
    library = tmp_path / "lib"
    result = run(library, "index", str(folder))
    assert result.exit_code == 0, result.output
    assert "indexed 3, unchanged 0, failed 2" in result.output
    failed = run(library, "videos", "list", "--failed", "--json").output.splitlines()
    reasons = {Path(json.loads(x)["path"]).name: json.loads(x)["error"] for x in failed}
    assert set(reasons) == {"empty.mp4", "noise.mkv"} and all(reasons.values())


def test_nothing_indexable_exits_non_zero(tmp_path):
    (tmp_path / "bad.mp4").write_bytes(b"not a video")
    assert run(tmp_path / "lib", "index", str(tmp_path / "bad.mp4")).exit_code == 1


def test_help_explains_every_command():
    runner = CliRunner()
    for args in ([], ["index"], ["search"], ["videos"], ["videos", "list"], ["info"], ["demo"]):
        result = runner.invoke(cli, [*args, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output


def test_fast_decode_flag_reaches_the_isolated_decoder(cli_media, tmp_path):
    result = run(tmp_path, "index", "--fast-decode", str(cli_media))
    assert result.exit_code == 0, result.output
    listed = [json.loads(x) for x in run(tmp_path, "videos", "list", "--json").output.splitlines()]
    shown = [json.loads(run(tmp_path, "videos", "show", str(v["id"]), "--json").output)
             for v in listed]  # fmt: skip
    assert {s["backend"] for s in shown} == {"pyav-fast"}


@pytest.mark.parametrize("backend", ["torch", "onnxruntime"])
def test_encoder_backend_option_decides_what_runs_images(backend):
    env = {"VIDSEEK_ENCODER_BACKEND": None}  # restored after the run: the option sets it
    result = CliRunner().invoke(
        cli, ["--encoder-backend", backend, "models", "list"], env=env, catch_exceptions=False
    )
    assert result.output.rstrip().endswith(f"on CPU this runs: {backend}")
    assert "VIDSEEK_ENCODER_BACKEND" not in os.environ
