"""Only real video containers are opened: a concat script or playlist named .mp4 never pulls in
files from elsewhere, whichever decoder tries it first."""

from __future__ import annotations

import pytest

from vidseek.core.errors import DecodeError
from vidseek.demo.render import write_video
from vidseek.demo.world import Scene
from vidseek.indexer.decode import DecordDecoder, PyAVDecoder, default_decoder


@pytest.fixture
def escape(tmp_path):
    """M/cc/evil.mp4 (a concat script) next to M/cc/dl, a link to a folder outside M."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    write_video(outside / "outside.mp4", [Scene(0.0, 2.0, "star", "red", "black")])
    cc = tmp_path / "M" / "cc"
    cc.mkdir(parents=True)
    (cc / "dl").symlink_to(outside)
    (cc / "evil.mp4").write_text("ffconcat version 1.0\nfile dl/outside.mp4\n")
    (cc / "list.mp4").write_text("#EXTM3U\n#EXTINF:2.0,\ndl/outside.mp4\n#EXT-X-ENDLIST\n")
    return cc


@pytest.mark.parametrize("name", ["evil.mp4", "list.mp4"])
@pytest.mark.parametrize("decoder", [PyAVDecoder, DecordDecoder, default_decoder])
def test_scripts_and_playlists_are_refused(escape, name, decoder):
    with pytest.raises(DecodeError) as err:
        list(decoder().frames(escape / name, fps=1.0))
    assert "refused" in str(err.value) or "not a recognised video" in str(err.value)
    with pytest.raises(DecodeError):
        decoder().probe(escape / name)


def test_the_video_it_points_to_still_decodes_in_its_own_right(escape):
    batches = list(default_decoder().frames(escape / "dl" / "outside.mp4", fps=1.0))
    assert sum(len(b.times) for b in batches) >= 2
