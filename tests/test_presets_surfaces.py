"""The presets in every surface: `vidseek models list` (table and --json), ``GET /models``
and ``vidseek.list_presets()`` say the same thing, including what runs each preset."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import vidseek
from tests.api_server import live_server
from vidseek.api import ServerConfig
from vidseek.cli.main import cli
from vidseek.core.models.preset_info import preset_backends, preset_rows
from vidseek.core.models.presets import PRESETS


@pytest.fixture(autouse=True)
def _auto_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIDSEEK_ENCODER_BACKEND", raising=False)


def test_cli_table_shows_size_cost_results_sources_and_backend():
    result = CliRunner().invoke(cli, ["models", "list"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:4] == ["PRESET", "PARAMS", "IMAGE", "GFLOPS"]
    for preset in PRESETS.values():
        row = next(line for line in lines if line.startswith(f"{preset.name} "))
        cells = row.split()
        assert cells[3] == str(preset.context_length) and cells[4] == str(preset.embed_dim)
        assert cells[5] == preset_backends(preset)["text"]
        assert f"  {preset.spec}: {preset.description}" in lines
        for metric in preset.metrics:
            assert f"    {metric.benchmark}: {metric.value:g}  [{metric.source}]" in lines
    english = next(line for line in lines if line.startswith("english "))
    assert english.split()[1:3] == ["447.7M", "17.8"]
    assert "worldwide" in result.output and "1.86B" in result.output


def test_cli_json_is_one_object_per_preset():
    result = CliRunner().invoke(cli, ["models", "list", "--json"], catch_exceptions=False)
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows == preset_rows()
    english = rows[[r["name"] for r in rows].index("english")]
    assert english["context_length"] == 32 and english["backends"]["text"] == "onnxruntime"
    assert english["metrics"][0] == {
        "benchmark": "MSR-VTT text->video R@1, zero-shot",
        "value": 47.6,
        "source": PRESETS["english"].metrics[0].source,
    }


@pytest.mark.parametrize(("backend", "text"), [("torch", "torch"), ("onnxruntime", None)])
def test_the_backend_option_changes_what_runs_queries(backend, text):
    args = ["--encoder-backend", backend, "models", "list", "--json"]
    result = CliRunner().invoke(cli, args, env={"VIDSEEK_ENCODER_BACKEND": None})
    rows = {r["name"]: r for r in map(json.loads, result.output.splitlines())}
    assert rows["english"]["backends"]["text"] == (text or "onnxruntime")
    assert rows["multilingual"]["backends"]["text"] == "torch"  # a Hugging Face tokenizer
    assert rows["fast"]["backends"]["image_cpu"] == backend


def test_python_api():
    presets = vidseek.list_presets()
    assert [p.name for p in presets] == list(PRESETS)
    assert all(isinstance(p, vidseek.Preset) for p in presets)
    assert presets[1].to_json()["spec"] == "PE-Core-B-16:meta"


def test_http_api(tmp_path):
    config = ServerConfig(
        home=tmp_path / "library", model_spec="vidseek-demo:random", preload_model=False,
        api_keys=("k",),
    )  # fmt: skip
    with live_server(config) as server, server.client() as client:
        assert client.get("/models").status_code == 401
        response = client.get("/models", headers={"X-API-Key": "k"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["presets"] == preset_rows()
    assert body["model"] in (None, "vidseek-demo:random")
