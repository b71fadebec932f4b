"""A library refuses any model but the one that built it, before anything is mixed; the
error is neutral and each front end adds its own hint."""

import json

from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient

from vidseek.api.errors import install_error_handlers
from vidseek.cli.hints import hint_for
from vidseek.cli.main import cli
from vidseek.core.errors import ModelMismatch, QueryError

MISMATCH = ModelMismatch(
    library_model="vidseek-demo", requested_model="ViT-B-32:openai", differences=["dim 64 != 512"]
)


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_search_with_another_model_is_refused(demo_library):
    result = run("--library", str(demo_library), "--model", "vidseek-demo:random", "search", "x")
    assert result.exit_code == 2
    error, hint = result.output.strip().splitlines()
    assert error.startswith("error: ") and "built with model vidseek-demo" in error
    assert "--" not in error  # the core's message names no flag ...
    assert hint.startswith("hint: use --model vidseek-demo")  # ... the CLI adds how to fix it


def test_indexing_with_another_model_is_refused_and_loses_nothing(demo_library, demo_videos):
    before = json.loads(run("--library", str(demo_library), "info", "--json").output)
    result = run(
        "--library", str(demo_library), "--model", "vidseek-demo:random", "index", str(demo_videos)
    )
    assert result.exit_code == 2 and "built with" in result.output
    after = json.loads(run("--library", str(demo_library), "info", "--json").output)
    assert after == before


def test_the_error_is_neutral_and_the_cli_hint_names_flags() -> None:
    assert (
        str(MISMATCH)
        == "the library was built with model vidseek-demo, not ViT-B-32:openai (dim 64 != 512)"
    )
    assert hint_for(MISMATCH) == (
        "use --model vidseek-demo with this library, or a new --library folder for ViT-B-32:openai"
    )
    assert hint_for(ModelMismatch("a node loads another model")) is None  # no fields, no hint
    renewed = ModelMismatch(  # a library of an older release of the bundled demo model
        library_model="vidseek-demo:bundled",
        requested_model="vidseek-demo:bundled",
        differences=["weights_sha256: 'aa' != 'bb'"],
    )
    assert "--model vidseek-demo:bundled" not in hint_for(renewed)
    assert "other weights named vidseek-demo:bundled" in hint_for(renewed)
    assert hint_for(QueryError("the query is empty")) is None


def test_the_http_error_body_carries_its_own_hint() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise MISMATCH

    body = TestClient(app).get("/boom")
    assert body.status_code == 409
    error = body.json()["error"]
    assert error["code"] == "model_mismatch" and error["message"] == str(MISMATCH)
    assert "--" not in error["hint"] and "restart the server with vidseek-demo" in error["hint"]
