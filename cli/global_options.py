"""The options every command shares (--library, --model, --catalog-url, --encoder-backend,
--vector-store).

They belong to the ``vidseek`` group and are also accepted after the command
(``vidseek search "x" --library L``): every leaf command gets copies that write into the
session (``ctx.obj``) the group made. A value given after the command wins.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from vidseek.core.models.backends import BACKENDS, ENV

HELP = {
    "home": "Library folder. Default: $VIDSEEK_HOME, else the user data dir.",
    "model_spec": "Model as NAME[:PRETRAINED] or a preset (see `vidseek models list`). "
    "Default: the model the library was built with, else vidseek-demo.",
    "catalog_url": "SQLAlchemy URL of the catalog (e.g. postgresql+psycopg://…). "
    "Default: catalog.sqlite inside the library folder.",
    "encoder_backend": "What runs the image encoder on CPU: openvino or onnxruntime (the "
    "open_clip model exported, same vectors within cosine 0.999) or torch. Default auto: the "
    "fastest installed (see `vidseek models list`). Query texts run on the text tower exported "
    "to ONNX Runtime when it is installed; torch runs them on torch too.",
}
FLAGS = {
    "home": "--library",
    "model_spec": "--model",
    "catalog_url": "--catalog-url",
    "encoder_backend": "--encoder-backend",
}
LEAF_HELP = {  # short: `vidseek --help` explains them in full
    "home": "Library folder.",
    "model_spec": "Model as NAME[:PRETRAINED] or a preset.",
    "catalog_url": "SQLAlchemy URL of the catalog.",
    "encoder_backend": "What runs the image encoder (see `vidseek --help`).",
}
ENVVARS = {"model_spec": "VIDSEEK_MODEL", "catalog_url": "VIDSEEK_CATALOG_URL"}
ENVVARS["encoder_backend"] = ENV
# Process-wide like --encoder-backend: every library this process opens (jobs, server, check)
# reads it; parsed by vidseek.core.vector_store when a library opens.
VECTOR_STORE_ENV = "VIDSEEK_VECTOR_STORE"
VECTOR_STORE_HELP = (
    "Where the segment vectors are searched: faiss (default, a snapshot in the library folder) "
    "or milvus:PATH-OR-URI[#collection] (milvus:./vectors.db embedded, milvus:http://host:19530 "
    "a cluster). Default: $VIDSEEK_VECTOR_STORE."
)


def _type(name: str) -> click.ParamType | None:
    if name == "home":
        return click.Path(file_okay=False, path_type=Path)
    if name == "encoder_backend":
        return click.Choice(BACKENDS, case_sensitive=False)
    return None


def GLOBAL_OPTIONS(command: Callable[..., Any]) -> Callable[..., Any]:  # noqa: N802
    """The group's own options, passed to its callback (environment variables apply)."""
    for name in reversed(FLAGS):
        command = click.option(
            FLAGS[name], name, type=_type(name), envvar=ENVVARS.get(name), help=HELP[name]
        )(command)
    return click.option(
        "--vector-store",
        expose_value=False,
        envvar=VECTOR_STORE_ENV,
        callback=_set_vector_store,
        help=VECTOR_STORE_HELP,
    )(command)


def _set_vector_store(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        os.environ[VECTOR_STORE_ENV] = value


def add_global_options(command: click.Command) -> None:
    """Give every leaf command under ``command`` the options it does not define itself."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_global_options(sub)
        return
    taken = {opt for param in command.params for opt in param.opts}
    for name, flag in FLAGS.items():
        if flag not in taken:
            command.params.append(_leaf_option(name))
    if "--vector-store" not in taken:
        command.params.append(
            click.Option(
                ["--vector-store"],
                expose_value=False,
                callback=_set_vector_store,
                help="faiss or milvus:PATH-OR-URI[#collection]. Also accepted before the command.",
            )
        )


def _leaf_option(name: str) -> click.Option:
    # No envvar here: the environment must not override a value given before the command.
    return click.Option(
        [FLAGS[name]],
        type=_type(name),
        expose_value=False,
        callback=_setter(name),
        help=f"{LEAF_HELP[name]} Also accepted before the command.",
    )


def _setter(name: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def write(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is None:
            return
        if name == "encoder_backend":
            os.environ[ENV] = value.lower()
            return
        if ctx.obj is None:
            raise click.UsageError(f"{FLAGS[name]} needs the vidseek command group", ctx)
        setattr(ctx.obj, name, Path(value).expanduser() if name == "home" else value)

    return write
