"""The ``vidseek`` command line: nouns and verbs over one library.

Commands are imported only when one runs (or its own ``--help`` is shown), so ``vidseek
--help`` and ``vidseek videos list`` never import what only indexing or search needs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from vidseek.cli.global_options import GLOBAL_OPTIONS, add_global_options
from vidseek.cli.hints import hint_for
from vidseek.core.errors import VidseekError
from vidseek.core.models.backends import ENV as ENCODER_BACKEND_ENV

# name -> ("module:attribute", short help shown by `vidseek --help`); tests/test_cli_startup.py
# checks each short help against the command's own.
COMMANDS: dict[str, tuple[str, str]] = {
    "index": (
        "vidseek.cli.commands_index:index_command",
        "Index video files and folders (recursively).",
    ),
    "search": (
        "vidseek.cli.commands_search:search_command",
        "Search the library by TEXT (any language the model knows) or by --image (with TEXT: "
        "the image moved by the text).",
    ),
    "similar": (
        "vidseek.cli.commands_similar:similar_command",
        "Find moments similar to a moment of VIDEO (an id or an indexed file's path).",
    ),
    "duplicates": (
        "vidseek.cli.commands_duplicates:duplicates_command",
        "List videos that are copies of each other, and clips that two videos share.",
    ),
    "videos": (
        "vidseek.cli.commands_videos:videos_group",
        "List, show and remove videos in the library.",
    ),
    "info": (
        "vidseek.cli.commands_info:info_command",
        "Show the library's location, model, counts and sizes on disk.",
    ),
    "models": ("vidseek.cli.commands_info:models_group", "Models vidseek can use."),
    "demo": (
        "vidseek.cli.commands_demo:demo_command",
        "Generate demo videos, index them with the bundled model, and run example searches.",
    ),
    "serve": (  # by name only: the CLI never imports the server until `serve` runs
        "vidseek.api.command:serve_command",
        "Serve the search API (OpenAPI at /openapi.json, docs at /docs) and the web page at /.",
    ),
    "mcp": (  # by name only, like serve
        "vidseek.mcp.command:mcp_command",
        "Serve the library to AI assistants over MCP (stdio): search, browse, thumbnails.",
    ),
    "eval": (
        "vidseek.cli.commands_eval:eval_command",
        "Measure retrieval quality on annotated videos, through the real index and search path.",
    ),
    "score": (
        "vidseek.cli.commands_score:score_command",
        "Score how well videos match text prompts (CLIPSIM), or compare two folders.",
    ),
    "check": (
        "vidseek.cli.commands_check:check_command",
        "Verify the library (catalog, vector index, files); --repair fixes what it can.",
    ),
}


class LazyGroup(click.Group):
    """Imports a command when it is invoked; turns every deliberate vidseek error into one
    clear line and exit status 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(load_command(cmd_name), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, _short_help(ctx, self, name, limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except VidseekError as exc:
            hint = hint_for(exc)
            click.echo(f"error: {exc}" + (f"\nhint: {hint}" if hint else ""), err=True)
            sys.exit(2)
        finally:
            close = getattr(ctx.obj, "close", None)
            if close is not None:
                close()


def load_command(name: str) -> click.Command:
    """Import the command ``name`` and give its leaf commands the global options."""
    import importlib

    module, _, attribute = COMMANDS[name][0].partition(":")
    command = getattr(importlib.import_module(module), attribute)
    add_global_options(command)
    return command


def _short_help(ctx: click.Context, group: click.Group, name: str, limit: int) -> str:
    if name in group.commands:  # already loaded (or added by hand): ask the command itself
        return group.commands[name].get_short_help_str(limit)
    return click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@GLOBAL_OPTIONS
@click.version_option(package_name="vidseek")
@click.pass_context
def cli(
    ctx: click.Context,
    home: Path | None,
    model_spec: str | None,
    catalog_url: str | None,
    encoder_backend: str | None,
):
    """vidseek: index what is seen in every moment of your videos, then search it by text
    in any language (or by image) and get back the matching moments.

    \b
    Quick start:
      vidseek demo                     build and search a small offline demo library
      vidseek index ~/Videos           index a folder (recursive, incremental)
      vidseek search "a dog on a beach"
      vidseek videos list

    The options above are also accepted after the command (`vidseek search "x" --library L`).
    """
    from vidseek.cli.context import AppContext

    if encoder_backend:  # every encoder of this process (jobs, server, demo) reads it
        os.environ[ENCODER_BACKEND_ENV] = encoder_backend.lower()
    ctx.obj = AppContext(home, model_spec=model_spec, catalog_url=catalog_url)


def main() -> None:
    cli(prog_name="vidseek")


if __name__ == "__main__":
    main()
