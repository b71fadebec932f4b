"""A library refuses any model but the one that built it, before anything is mixed."""

import json

from click.testing import CliRunner
from vidseek.cli.main import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_search_with_another_model_is_refused(demo_library):
    result = run("--library", str(demo_library), "--model", "vidseek-demo:random", "search", "x")
    assert result.exit_code == 2
    assert "built with vidseek-demo" in result.output
    assert "--model" in result.output  # says how to fix it


def test_indexing_with_another_model_is_refused_and_loses_nothing(demo_library, demo_videos):
    before = json.loads(run("--library", str(demo_library), "info", "--json").output)
    result = run(
        "--library", str(demo_library), "--model", "vidseek-demo:random", "index", str(demo_videos)
    )
    assert result.exit_code == 2 and "built with" in result.output
    after = json.loads(run("--library", str(demo_library), "info", "--json").output)
    assert after == before
