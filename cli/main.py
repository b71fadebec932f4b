"""The ``vidseek`` command line: nouns and verbs over one library."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from vidseek.api.command import serve_command
from vidseek.cli.commands_check import check_command
from vidseek.cli.commands_demo import demo_command
from vidseek.cli.commands_eval import eval_command
from vidseek.cli.commands_index import index_command
from vidseek.cli.commands_info import info_command, models_group
from vidseek.cli.commands_search import search_command
from vidseek.cli.commands_videos import videos_group
from vidseek.cli.context import AppContext, default_home, single_query_threads
from vidseek.core.errors import VidseekError
from vidseek.core.models.backends import BACKENDS as ENCODER_BACKENDS
from vidseek.core.models.backends import ENV as ENCODER_BACKEND_ENV


class _Group(click.Group):
    """Turns every deliberate vidseek error into one clear line and exit status 2."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except VidseekError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        finally:
            app = ctx.obj
            if isinstance(app, AppContext):
                app.close()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--library",
    "home",
    type=click.Path(file_okay=False, path_type=Path),
    help="Library folder. Default: $VIDSEEK_HOME, else the user data dir.",
)
@click.option(
    "--model",
    "model_spec",
    envvar="VIDSEEK_MODEL",
    help="Model as NAME[:PRETRAINED] or a preset (see `vidseek models list`). "
    "Default: the model the library was built with, else vidseek-demo.",
)
@click.option(
    "--catalog-url",
    envvar="VIDSEEK_CATALOG_URL",
    help="SQLAlchemy URL of the catalog (e.g. postgresql+psycopg://…). "
    "Default: catalog.sqlite inside the library folder.",
)
@click.option(
    "--encoder-backend",
    envvar=ENCODER_BACKEND_ENV,
    type=click.Choice(ENCODER_BACKENDS, case_sensitive=False),
    help="What runs the image encoder on CPU: openvino or onnxruntime (the open_clip model "
    "exported, same vectors within cosine 0.999) or torch. Default auto: the fastest "
    "installed (see `vidseek models list`). Queries always run on torch.",
)
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
    """
    single_query_threads()
    if encoder_backend:  # every encoder of this process (jobs, server, demo) reads it
        os.environ[ENCODER_BACKEND_ENV] = encoder_backend.lower()
    ctx.obj = AppContext(
        home=home or default_home(), model_spec=model_spec, catalog_url=catalog_url
    )


cli.add_command(index_command)
cli.add_command(search_command)
cli.add_command(videos_group)
cli.add_command(info_command)
cli.add_command(models_group)


cli.add_command(demo_command)
cli.add_command(serve_command)
cli.add_command(eval_command)
cli.add_command(check_command)


def main() -> None:
    cli(prog_name="vidseek")


if __name__ == "__main__":
    main()
