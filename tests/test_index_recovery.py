"""The vector index on disk is a snapshot: deleted or damaged, it is rebuilt from the catalog."""

import json
import shutil

import pytest
from click.testing import CliRunner

from vidseek.cli.main import cli

QUERIES = ["a red circle", "una estrella amarilla", "ein grünes Quadrat", "黑色的圆形"]


def search_all(home) -> list[dict]:
    out = []
    for query in QUERIES:
        result = CliRunner().invoke(
            cli, ["--library", str(home), "search", query, "--json", "-k", "5"]
        )
        assert result.exit_code == 0, result.output
        out.append(json.loads(result.stdout))
    return out


@pytest.mark.parametrize("damage", ["delete", "truncate", "garbage", "drop_manifest"])
def test_damaged_index_is_rebuilt_with_identical_results(demo_library, tmp_path, damage):
    home = tmp_path / "lib"
    shutil.copytree(demo_library, home)
    expected = search_all(home)
    index_file = home / "index" / "segments.faiss"
    if damage == "delete":
        shutil.rmtree(home / "index")
    elif damage == "truncate":
        index_file.write_bytes(index_file.read_bytes()[: index_file.stat().st_size // 2])
    elif damage == "garbage":
        index_file.write_bytes(b"\x00garbage" * 100)
    else:
        (home / "index" / "manifest.json").unlink()
    result = CliRunner().invoke(cli, ["--library", str(home), "search", "a red circle", "--json"])
    assert result.exit_code == 0
    assert "rebuilt from the catalog" in result.stderr  # the user is told
    assert search_all(home) == expected
    again = CliRunner().invoke(cli, ["--library", str(home), "search", "a red circle", "--json"])
    assert "rebuilt" not in again.stderr  # the rebuilt snapshot was saved
