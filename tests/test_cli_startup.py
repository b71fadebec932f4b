"""The CLI starts without the heavy libraries: commands that encode nothing import no torch,
`vidseek --help` imports no command, and the global options also work after the command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from vidseek.cli.main import COMMANDS, cli, load_command

HEAVY = ("torch", "torchvision", "open_clip", "transformers")

# Runs the CLI in this interpreter (no exit on success) and prints the top-level modules loaded.
PROBE = """
import json, sys
from vidseek.cli.main import cli
try:
    cli.main(args=sys.argv[1:], prog_name="vidseek", standalone_mode=False)
except SystemExit as exc:
    if exc.code not in (0, 1, None):
        raise
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def loaded_modules(*args: str) -> set[str]:
    env = {**os.environ, "VIDSEEK_HOME": os.environ.get("VIDSEEK_HOME", "/nonexistent")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "args",
    [["--help"], ["videos", "list"], ["info"], ["models", "list"], ["check", "--no-files"]],
    ids=lambda args: " ".join(args),
)
def test_commands_that_encode_nothing_import_no_torch(args, demo_library: Path):
    modules = loaded_modules("--library", str(demo_library), *args)
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert heavy == [], f"vidseek {' '.join(args)} imported {heavy[:8]}"


def test_help_imports_no_command():
    modules = loaded_modules("--help")
    ours = [m for m in modules if m.startswith(("vidseek.cli.commands_", "vidseek.api"))]
    assert ours == []
    assert "vidseek.core.library" not in modules


def test_help_lists_every_command_with_its_short_help():
    result = CliRunner().invoke(cli, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    for name, (_, short) in COMMANDS.items():
        assert f"  {name}  " in result.output
        assert short[:30] in result.output


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_short_help_matches_the_command(name: str):
    command = load_command(name)
    assert command.name == name
    assert COMMANDS[name][1] == command.get_short_help_str(limit=1000)


def test_every_leaf_command_takes_the_global_options():
    for name in COMMANDS:
        for leaf in _leaves(load_command(name)):
            flags = {opt for param in leaf.params for opt in param.opts}
            assert {"--library", "--model", "--catalog-url", "--encoder-backend"} <= flags, name


def _leaves(command: click.Command) -> list[click.Command]:
    if isinstance(command, click.Group):
        return [leaf for sub in command.commands.values() for leaf in _leaves(sub)]
    return [command]


def test_library_after_the_command(demo_library: Path, tmp_path: Path):
    runner = CliRunner()
    after = runner.invoke(cli, ["videos", "list", "--library", str(demo_library)])
    assert after.exit_code == 0, after.output
    assert "demo_0.mp4" in after.output
    # given twice: the value after the command wins
    args = ["--library", str(tmp_path / "other"), "info", "--json", "--library", str(demo_library)]
    both = runner.invoke(cli, args)
    assert both.exit_code == 0, both.output
    assert json.loads(both.output)["library"] == str(demo_library)
    assert json.loads(both.output)["videos"] == 3


def test_catalog_url_after_the_command(tmp_path: Path):
    from vidseek.core.library import Library

    home, url = tmp_path / "lib", f"sqlite:///{tmp_path / 'elsewhere.sqlite'}"
    Library.open(home, catalog_url=url).close()
    runner = CliRunner()
    assert runner.invoke(cli, ["info", "--library", str(home)]).exit_code == 2  # not in home
    result = runner.invoke(cli, ["info", "--library", str(home), "--catalog-url", url])
    assert result.exit_code == 0, result.output


def test_model_after_the_command_beats_the_environment(demo_library: Path):
    args = ["search", "a red circle", "--library", str(demo_library), "--model", "vidseek-demo:x"]
    result = CliRunner().invoke(cli, args, env={"VIDSEEK_MODEL": "vidseek-demo"})
    assert result.exit_code == 2
    assert "vidseek-demo:random" in result.output  # UnknownModel for the tag given after


def test_encoder_backend_after_the_command(monkeypatch):
    monkeypatch.setenv("VIDSEEK_ENCODER_BACKEND", "auto")  # restored after the test
    result = CliRunner().invoke(cli, ["models", "list", "--encoder-backend", "torch"])
    assert result.exit_code == 0, result.output
    assert "on CPU this runs: torch" in result.output
    assert "query texts run on: torch" in result.output
