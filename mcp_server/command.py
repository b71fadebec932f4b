"""``vidseek mcp``: serve the library to AI assistants over the Model Context Protocol."""

from __future__ import annotations

import click

from vidseek.session import Session


@click.command("mcp")
@click.option(
    "--allow-indexing", is_flag=True,
    help="Add the index_paths tool (the assistant may then index files into the library).",
)  # fmt: skip
@click.pass_obj
def mcp_command(session: Session, allow_indexing: bool) -> None:
    """Serve the library to AI assistants over MCP (stdio): search, browse, thumbnails.

    \b
    Tools: search_moments (text or image), similar_moments, video_info, list_videos,
    moment_thumbnail (a JPEG image block); index_paths only with --allow-indexing.
    Without it the library is opened read-only and must already exist.

    \b
    An MCP client's config, e.g.:
      {"mcpServers": {"vidseek": {"command": "vidseek",
                                  "args": ["--library", "/path/to/library", "mcp"]}}}
    """
    from vidseek.mcp.server import build_server

    session.library(read_only=not allow_indexing)  # a missing library is an error now
    server, tools = build_server(session, allow_indexing=allow_indexing)
    try:
        server.run("stdio")
    finally:
        tools.close()
