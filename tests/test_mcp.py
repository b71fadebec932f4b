"""`vidseek mcp` end to end: the official SDK's client spawns the server over stdio."""

import base64
import io
import json
import shutil
import sys
from pathlib import Path

import anyio
import numpy as np
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from PIL import Image

from vidseek.demo.render import write_video
from vidseek.demo.world import Scene
from vidseek.evaluation.metrics import temporal_iou

READ_TOOLS = {
    "search_moments", "similar_moments", "video_info", "list_videos", "moment_thumbnail"
}  # fmt: skip


def _server(library: Path, cwd: Path, *extra: str) -> StdioServerParameters:
    args = ["-m", "vidseek.cli.main", "--library", str(library), "mcp", *extra]
    return StdioServerParameters(command=sys.executable, args=args, cwd=str(cwd))


def _json(result) -> dict:
    assert not result.is_error, result.content
    return json.loads(result.content[0].text)


def _session(params: StdioServerParameters, script):
    async def main():
        async with Client(params) as client:
            return await script(client)

    return anyio.run(main)


def test_search_browse_and_thumbnail_over_stdio(demo_library, demo_videos, tmp_path):
    async def script(client):
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        circle = await client.call_tool(
            "search_moments", {"text": "a red circle on a blue background", "k": 1}
        )
        triangle = await client.call_tool(
            "search_moments", {"text": "a purple triangle on an orange background", "k": 3}
        )
        listing = await client.call_tool("list_videos", {})
        best = _json(circle)["results"][0]
        info = await client.call_tool("video_info", {"video_id": best["video_id"]})
        thumb = await client.call_tool(
            "moment_thumbnail",
            {"video_id": best["video_id"], "start": best["start"], "end": best["end"]},
        )
        bad = await client.call_tool("search_moments", {})
        similar = await client.call_tool(
            "similar_moments", {"video_id": best["video_id"], "start": 0.0, "end": 4.0, "k": 1}
        )
        return tools, circle, triangle, listing, info, thumb, bad, similar

    tools, circle, triangle, listing, info, thumb, bad, similar = _session(
        _server(demo_library, tmp_path), script
    )
    assert set(tools) == READ_TOOLS  # read-only: no index_paths
    assert all(tools[name].annotations.read_only_hint for name in READ_TOOLS)

    (best,) = _json(circle)["results"]
    assert Path(best["path"]).name == "demo_0.mp4"
    assert temporal_iou((best["start"], best["end"]), (0.0, 4.0)) >= 0.5
    top = _json(triangle)["results"][0]
    assert Path(top["path"]).name == "demo_1.mp4"
    assert temporal_iou((top["start"], top["end"]), (4.0, 8.0)) >= 0.5

    videos = _json(listing)
    assert videos["total"] == 3 and videos["next_offset"] is None
    assert {Path(v["path"]).name for v in videos["videos"]} == {f"demo_{i}.mp4" for i in range(3)}
    detail = _json(info)
    assert detail["video_id"] == best["video_id"] and detail["segments"]

    (block,) = thumb.content
    assert block.type == "image" and block.mime_type == "image/jpeg"
    image = np.asarray(Image.open(io.BytesIO(base64.b64decode(block.data))).convert("RGB"))
    red = (image[..., 0] > 150) & (image[..., 1] < 90) & (image[..., 2] < 90)
    blue = (image[..., 2] > 150) & (image[..., 0] < 90)
    assert red.mean() > 0.05 and blue.mean() > 0.3  # a red circle on a blue background

    assert bad.is_error and "exactly one of" in bad.content[0].text

    # demo_2 holds the other circle (black on yellow): the source video itself is left out
    (like,) = _json(similar)["results"]
    assert Path(like["path"]).name == "demo_2.mp4"
    assert temporal_iou((like["start"], like["end"]), (5.0, 9.0)) >= 0.5


def test_image_query_by_base64(demo_library, demo_videos, tmp_path):
    from vidseek.demo.render import render_frame

    frame = render_frame(Scene(0.0, 4.0, "square", "green", "white"), 1.0, 320, 240)
    out = io.BytesIO()
    Image.fromarray(frame).save(out, format="PNG")
    data = base64.b64encode(out.getvalue()).decode()

    async def script(client):
        return await client.call_tool("search_moments", {"image_base64": data, "k": 1})

    (best,) = _json(_session(_server(demo_library, tmp_path), script))["results"]
    assert Path(best["path"]).name == "demo_1.mp4"
    assert temporal_iou((best["start"], best["end"]), (0.0, 4.0)) >= 0.5


def test_indexing_only_when_allowed(demo_library, tmp_path):
    library = tmp_path / "library"
    shutil.copytree(demo_library, library)
    new = tmp_path / "new"
    new.mkdir()
    write_video(new / "extra.mp4", [Scene(0.0, 3.0, "star", "orange", "green")], fps=12)

    async def script(client):
        names = {tool.name for tool in (await client.list_tools()).tools}
        indexed = await client.call_tool("index_paths", {"paths": [str(new)]})
        listing = await client.call_tool("list_videos", {"limit": 10})
        return names, indexed, listing

    names, indexed, listing = _session(_server(library, tmp_path, "--allow-indexing"), script)
    assert names == READ_TOOLS | {"index_paths"}
    (outcome,) = _json(indexed)["files"]
    assert outcome["status"] == "indexed" and outcome["path"].endswith("extra.mp4")
    assert _json(listing)["total"] == 4


def test_a_missing_library_is_refused_before_serving(tmp_path):
    async def script(client):
        return await client.list_tools()

    with pytest.raises(Exception):  # noqa: B017 - the server exits before the handshake
        _session(_server(tmp_path / "nowhere", tmp_path), script)
    assert not (tmp_path / "nowhere").exists()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_streamable_http(demo_library, tmp_path):
    import subprocess
    import time

    import httpx

    port = _free_port()
    args = ["-m", "vidseek.cli.main", "--library", str(demo_library), "mcp", "--http"]
    log = tmp_path / "server.log"
    with log.open("wb") as stderr:  # a file, never a pipe nobody drains
        process = subprocess.Popen(
            [sys.executable, *args, "--port", str(port)], cwd=tmp_path, stderr=stderr
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                httpx.get(f"http://127.0.0.1:{port}/mcp", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start in 60 s"
                time.sleep(0.2)

        async def main():
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                names = {tool.name for tool in (await client.list_tools()).tools}
                found = await client.call_tool("search_moments", {"text": "a green square"})
                return names, found

        names, found = anyio.run(main)
        assert names == READ_TOOLS
        assert Path(_json(found)["results"][0]["path"]).name == "demo_1.mp4"
    finally:
        process.terminate()
        process.wait(timeout=30)
