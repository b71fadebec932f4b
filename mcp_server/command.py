"""``vidseek mcp``: serve the library to AI assistants over the Model Context Protocol."""

from __future__ import annotations

import click

from vidseek.session import Session


@click.command("mcp")
@click.option(
    "--allow-indexing", is_flag=True,
    help="Add the index_paths tool (the assistant may then index files into the library).",
)  # fmt: skip
@click.option(
    "--http", is_flag=True, help="Serve streamable HTTP at http://HOST:PORT/mcp, not stdio."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="With --http: address.")
@click.option("--port", default=8765, show_default=True, help="With --http: port.")
@click.pass_obj
def mcp_command(session: Session, allow_indexing: bool, http: bool, host: str, port: int) -> None:
    """Serve the library to AI assistants over MCP (stdio): search, browse, thumbnails.

    \b
    Tools: search_moments (text or image), similar_moments, video_info, list_videos,
    moment_thumbnail (a JPEG image block); index_paths only with --allow-indexing.
    Without it the library is opened read-only and must already exist. --http has no
    authentication: keep it on 127.0.0.1 unless the network is trusted.

    \b
    An MCP client's config, e.g.:
      {"mcpServers": {"vidseek": {"command": "vidseek",
                                  "args": ["--library", "/path/to/library", "mcp"]}}}
    """
    try:
        from vidseek.mcp.server import build_server
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith("mcp"):
            raise
        raise click.ClickException(
            "the MCP SDK is not installed: pip install 'vidseek[mcp]'"
        ) from exc

    session.library(read_only=not allow_indexing)  # a missing library is an error now
    server, tools = build_server(session, allow_indexing=allow_indexing)
    try:
        if http:
            server.run("streamable-http", host=host, port=port)
        else:
            server.run("stdio")
    finally:
        tools.close()
