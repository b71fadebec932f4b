"""``vidseek serve``: the HTTP search API and web page over the library, via uvicorn."""

from __future__ import annotations

from pathlib import Path

import click

from vidseek.session import Session


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--media-root",
    "media_roots",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder POST /index may read (repeat). Without one, indexing over HTTP is off.",
)
@click.option(
    "--api-key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File with API keys, one per line. Also read: $VIDSEEK_API_KEYS (comma-separated).",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    help="Allowed CORS origin (repeat); CORS is off without one.",
)
@click.option(
    "--max-upload-mb", default=10.0, show_default=True, help="Largest image upload accepted."
)
@click.option(
    "--fast-decode",
    is_flag=True,
    help="POST /index jobs decode reference frames only (as `vidseek index --fast-decode`).",
)
@click.option(
    "--gpu-decode",
    is_flag=True,
    help="POST /index jobs decode on the NVIDIA GPU (as `vidseek index --gpu-decode`).",
)
@click.option(
    "--asr-model",
    default=None,
    metavar="NAME|PATH",
    help="Speech model of POST /index jobs that extract speech (as `vidseek index "
    "--asr-model`): a faster-whisper name, downloaded on first use, or a local model folder. "
    "Default: tiny.en, offline from the speech extra.",
)
@click.option("--log-level", default="info", show_default=True, help="uvicorn log level.")
@click.pass_obj
def serve_command(
    app: Session,
    host: str,
    port: int,
    media_roots: tuple[Path, ...],
    api_key_file: Path | None,
    cors_origins: tuple[str, ...],
    max_upload_mb: float,
    fast_decode: bool,
    gpu_decode: bool,
    asr_model: str | None,
    log_level: str,
) -> None:
    """Serve the search API (OpenAPI at /openapi.json, docs at /docs) and the web page at /.

    \b
    Examples:
      vidseek serve                                  http://127.0.0.1:8000/
      vidseek serve --media-root ~/Videos            allow POST /index under ~/Videos
      VIDSEEK_API_KEYS=s3cret vidseek serve --host 0.0.0.0
    """
    import uvicorn

    from vidseek.api import ServerConfig, create_app
    from vidseek.api.config import load_api_keys, normalise_origins
    from vidseek.api.connections import uvicorn_options
    from vidseek.indexer.decode_cuda import gpu_decoding_unavailable

    reason = gpu_decode and gpu_decoding_unavailable()
    if reason:
        raise click.UsageError(f"--gpu-decode: {reason}")
    if asr_model is not None:
        from vidseek.indexer.speech import resolve_asr_model

        resolve_asr_model(asr_model)  # an unknown or unobtainable model: say so before serving
    keys = load_api_keys(api_key_file)
    if host not in ("127.0.0.1", "localhost", "::1") and not keys:
        click.echo("warning: listening beyond this machine without API keys", err=True)
    config = ServerConfig(
        home=app.home,
        model_spec=app.model_spec,
        catalog_url=app.catalog_url,
        media_roots=media_roots,
        api_keys=keys,
        cors_origins=normalise_origins(cors_origins),
        max_upload_bytes=int(max_upload_mb * 2**20),
        fast_decode=fast_decode,
        gpu_decode=gpu_decode,
        asr_model=asr_model,
    )
    server_app = create_app(config)
    auth = f"{len(keys)} API key(s)" if keys else "no API keys"
    click.echo(f"vidseek: serving {app.home} on http://{host}:{port}/ ({auth})", err=True)
    uvicorn.run(
        server_app,
        host=host,
        port=port,
        log_level=log_level,
        **uvicorn_options(),
    )
