"""The path-prefix filter: a range query on the catalog's path index, through the Searcher and
the CLI; sibling folders (``/a/b`` vs ``/a/bc``), ``%`` and ``_``, trailing slashes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import event

from tests.pg_server import fresh_database
from tests.search_library import MODEL, FakeEncoder, make_commit, open_library
from vidseek.cli.main import cli
from vidseek.core.catalog import Catalog
from vidseek.core.catalog.catalog import prefix_upper_bound
from vidseek.core.errors import QueryError
from vidseek.demo.render import generate_library
from vidseek.search.filters import allowed_videos, normalize_prefix
from vidseek.search.query import Searcher, SearchOptions

PATHS = [
    "/lib/a/b/1.mp4",
    "/lib/a/bc/2.mp4",
    "/lib/a/b/sub/3.mp4",
    "/lib/a/b",  # a file named like the folder
    "/lib/50%_off/4.mp4",
    "/lib/50xyoff/5.mp4",  # what LIKE '/lib/50%_off%' would also match
    "/lib/50%xoff/6.mp4",  # …and LIKE '/lib/50%\_off%' with `_` left unescaped
    "/lib/é/7.mp4",
    "/lib/éa/8.mp4",
    "/lib/\U0010ffff/9.mp4",
]


@pytest.fixture(params=["sqlite", "postgres"])
def catalog(request: pytest.FixtureRequest, tmp_path: Path):
    url = fresh_database() if request.param == "postgres" else f"sqlite:///{tmp_path / 'c.db'}"
    cat = Catalog.open(url)
    for seed, path in enumerate(PATHS):
        cat.replace_video(make_commit(path, seed), MODEL.dim)
    yield cat
    cat.close()


def ids_of(catalog: Catalog) -> dict[str, int]:
    return {v.path: v.id for v in catalog.videos()}


def test_every_prefix_of_every_path_matches_exactly_what_startswith_does(catalog):
    ids = ids_of(catalog)
    prefixes = {p[:i] for p in PATHS for i in range(1, len(p) + 1)} | {"/lib/a/b/", "/nowhere"}
    for prefix in sorted(prefixes):
        want = sorted(i for p, i in ids.items() if p.startswith(prefix))
        assert catalog.video_ids_under(prefix) == want, prefix


@pytest.mark.parametrize(
    ("prefix", "names"),
    [
        ("/lib/a/b/", {"/lib/a/b/1.mp4", "/lib/a/b/sub/3.mp4"}),
        ("/lib/a/b", {"/lib/a/b/1.mp4", "/lib/a/b/sub/3.mp4", "/lib/a/b", "/lib/a/bc/2.mp4"}),
        ("/lib/a/bc", {"/lib/a/bc/2.mp4"}),
        ("/lib/50%_off/", {"/lib/50%_off/4.mp4"}),
        ("/lib/50%", {"/lib/50%_off/4.mp4", "/lib/50%xoff/6.mp4"}),
        ("/lib/50_", set()),
        ("/lib/é/", {"/lib/é/7.mp4"}),
        ("/lib/\U0010ffff", {"/lib/\U0010ffff/9.mp4"}),
    ],
)
def test_siblings_and_wildcard_characters(catalog, prefix, names):
    ids = ids_of(catalog)
    assert catalog.video_ids_under(prefix) == sorted(ids[n] for n in names)


def test_failed_videos_are_listed_too(catalog):
    failed = catalog.upsert_failure("/lib/a/b/broken.mp4", "h-broken", 1, "no video stream")[0]
    assert failed.id in catalog.video_ids_under("/lib/a/b/")


def test_upper_bound():
    assert prefix_upper_bound("/a/b") == "/a/c"
    assert prefix_upper_bound("/a/b/") == "/a/b0"
    assert prefix_upper_bound("x\U0010ffff") == "y"
    assert prefix_upper_bound("\U0010ffff") is None
    assert prefix_upper_bound("\ud7ff") == "\ue000"  # never a surrogate


def test_trailing_slashes_are_cut_to_one():
    assert normalize_prefix("/a/b//") == "/a/b/"
    assert normalize_prefix("/a/b") == "/a/b"
    assert normalize_prefix("///") == "/"
    with pytest.raises(QueryError):
        normalize_prefix("")


def _statements(catalog: Catalog) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []

    @event.listens_for(catalog.engine, "before_cursor_execute")
    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SET")):
            seen.append((statement, parameters))

    return seen


def test_the_filter_is_one_range_query_on_the_path_index(catalog):
    seen = _statements(catalog)
    catalog.video_ids_under("/lib/a/b/")
    assert len(seen) == 1
    statement, parameters = seen[0]
    sql = " ".join(statement.replace('COLLATE "C"', "").replace("(", "").replace(")", "").split())
    assert "videos.path >=" in sql and "videos.path <" in sql and "LIKE" not in sql.upper()
    with catalog.engine.connect() as conn:
        if catalog.engine.dialect.name == "sqlite":
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            details = " ".join(str(row[-1]) for row in plan)
            assert "SEARCH videos USING COVERING INDEX" in details, details  # no row reads
            assert "(path>? AND path<?)" in details, details
        else:  # with scans forbidden the plan must still find an index it can use
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
            details = " ".join(row[0] for row in plan)
            assert "Index" in details and "ix_videos_path_c" in details, details


# --- through the Searcher --------------------------------------------------------------------


@pytest.fixture
def library(tmp_path: Path):
    lib = open_library(tmp_path / "lib", PATHS)
    yield lib
    lib.close()


def test_searcher_keeps_to_the_prefix_without_listing_every_video(library, monkeypatch):
    def no_listing(*args, **kwargs):
        raise AssertionError("the filter listed every video")

    library.record_failure("/lib/a/b/broken.mp4", "h-broken", 1, "no video stream")
    monkeypatch.setattr(library.catalog, "videos", no_listing)
    monkeypatch.setattr(library, "videos", no_listing)
    searcher = Searcher(library, FakeEncoder())  # type: ignore[arg-type]
    query = np.ones(MODEL.dim, dtype=np.float32)

    def paths(**filters) -> set[str]:
        clips = searcher.search_vector(query, SearchOptions(k=100, **filters))
        return {c.path for c in clips}

    assert paths(path_prefixes=("/lib/a/b/",)) == {"/lib/a/b/1.mp4", "/lib/a/b/sub/3.mp4"}
    assert paths(path_prefixes=("/lib/a/b//",)) == {"/lib/a/b/1.mp4", "/lib/a/b/sub/3.mp4"}
    assert paths(path_prefixes=("/lib/50%_off/", "/lib/é/")) == {
        "/lib/50%_off/4.mp4",
        "/lib/é/7.mp4",
    }
    assert paths(path_prefixes=("/lib/50_",)) == set()
    assert len(paths()) == len(PATHS)


def test_prefix_and_id_filters_intersect(library):
    ids = {v.path: v.id for v in library.videos()}
    both = allowed_videos(library, [ids["/lib/a/b/1.mp4"], ids["/lib/é/7.mp4"]], ["/lib/a/"])
    assert both == (ids["/lib/a/b/1.mp4"],)
    assert allowed_videos(library, None, None) is None
    assert allowed_videos(library, None, ["/nowhere/"]) == ()


def test_one_string_is_not_taken_for_a_tuple_of_prefixes(library):
    searcher = Searcher(library, FakeEncoder())  # type: ignore[arg-type]
    with pytest.raises(QueryError):
        searcher.search_vector(np.ones(MODEL.dim), SearchOptions(path_prefixes="/lib/"))  # type: ignore[arg-type]


# --- through the CLI -------------------------------------------------------------------------

MODEL_SPEC = "vidseek-demo:random"
FOLDERS = ["a/b", "a/bc", "50%_off", "50xyoff"]


def run(library: Path, *args: str):
    return CliRunner().invoke(
        cli, ["--library", str(library), "--model", MODEL_SPEC, *args], catch_exceptions=False
    )


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Four tiny videos, one in each of FOLDERS; returns (library, media root)."""
    source = tmp_path_factory.mktemp("tiny")
    generate_library(source, len(FOLDERS), seed=3, duration=(1.0, 2.0), size=(96, 64), fps=8)
    root = tmp_path_factory.mktemp("media")
    for folder, video in zip(FOLDERS, sorted(source.glob("*.mp4")), strict=True):
        (root / folder).mkdir(parents=True)
        shutil.copy(video, root / folder / video.name)
    library = tmp_path_factory.mktemp("library")
    result = run(library, "index", str(root))
    assert result.exit_code == 0, result.output
    return library, root


def folders_found(library: Path, root: Path, *prefix_args: str) -> set[str]:
    result = run(library, "search", "a shape", "--json", "-k", "50", *prefix_args)
    assert result.exit_code == 0, result.output
    return {
        str(Path(r["path"]).parent.relative_to(root)) for r in json.loads(result.output)["results"]
    }


def test_cli_path_prefix(indexed):
    library, root = indexed
    assert folders_found(library, root) == set(FOLDERS)
    assert folders_found(library, root, "--path-prefix", f"{root}/a/b/") == {"a/b"}
    assert folders_found(library, root, "--path-prefix", f"{root}/a/b") == {"a/b"}  # a folder
    assert folders_found(library, root, "--path-prefix", f"{root}/a/") == {"a/b", "a/bc"}
    assert folders_found(library, root, "--path-prefix", f"{root}/50%_off") == {"50%_off"}
    assert folders_found(library, root, "--path-prefix", f"{root}/50_") == set()
    assert folders_found(
        library, root, "--path-prefix", f"{root}/a/bc", "--path-prefix", f"{root}/50x"
    ) == {"a/bc", "50xyoff"}


def test_cli_relative_prefix_is_taken_from_the_working_folder(indexed, monkeypatch):
    library, root = indexed
    monkeypatch.chdir(root / "a")
    assert folders_found(library, root, "--path-prefix", "bc") == {"a/bc"}
    assert folders_found(library, root, "--path-prefix", ".") == {"a/b", "a/bc"}
