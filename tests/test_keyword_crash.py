"""The keyword index survives a process killed while it commits text spans: SIGKILL inside the
spans' transaction (the ``evidence-commit`` fault point: rows and index entries written, not
committed) and from outside at random moments of a writing loop. Afterwards the stored spans
are one whole generation, the FTS5 index agrees with them (SQLite's own integrity check
against the content table) and every query finds exactly the stored spans.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.test_library import MODEL, make_commit
from vidseek.core.catalog.text_index import TRIGRAM_TABLE, WORDS_TABLE
from vidseek.core.library import Library
from vidseek.core.types import TextSpan
from vidseek.search.keyword import search_keywords

ROOT = Path(__file__).resolve().parents[1]
SPANS = 40
GENERATIONS = 400

WRITER = """
import sys
from vidseek.core.library import Library
from vidseek.core.types import TextSpan

home, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
library = Library.open(home)
video = library.videos()[0].id
for gen in range(first, last):
    spans = [
        TextSpan("speech", i, i + 1, f"marker g{gen}n{i} 北京欢迎你 café")
        for i in range({spans})
    ]
    library.catalog.replace_text_spans(video, "speech", spans)
    print(gen, flush=True)
""".replace("{spans}", str(SPANS))


def spans_of(gen: int) -> list[TextSpan]:
    return [
        TextSpan("speech", i, i + 1, f"marker g{gen}n{i} 北京欢迎你 café") for i in range(SPANS)
    ]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    with Library.open(tmp_path / "lib") as library:
        library.bind_model(MODEL)
        video = library.commit_video(make_commit("/videos/a.mp4", seed=1)).id
        library.catalog.replace_text_spans(video, "speech", spans_of(0))
    return tmp_path / "lib"


def write(home: Path, first: int, last: int, fault: str = "") -> subprocess.Popen:
    env = {**os.environ, "VIDSEEK_FAULT": fault} if fault else dict(os.environ)
    cmd = [sys.executable, "-c", WRITER, str(home), str(first), str(last)]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


def assert_consistent(home: Path) -> int:
    """The generation stored; fails unless spans and index agree in every way we can ask."""
    with Library.open(home) as library:
        with library.catalog.engine.begin() as conn:
            for table in (WORDS_TABLE, TRIGRAM_TABLE):  # raises when index and content differ
                conn.execute(
                    text(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
                )
        stored = library.catalog.text_spans()
        gens = {span.text.split()[1].split("n")[0] for span in stored}
        assert len(stored) == SPANS and len(gens) == 1, (len(stored), gens)
        gen = int(gens.pop()[1:])
        assert len(search_keywords(library, "marker", limit=1000)) == SPANS
        assert len(search_keywords(library, "cafe", limit=1000)) == SPANS
        assert len(search_keywords(library, "欢迎你", limit=1000)) == SPANS
        assert len(search_keywords(library, f"g{gen}n7")) == 1
        for other in (gen - 1, gen + 1):
            assert search_keywords(library, f"g{other}n7") == []
        return gen


def test_killed_inside_the_spans_transaction(home: Path) -> None:
    proc = write(home, 1, 10, fault="evidence-commit:3")  # dies inside generation 3's commit
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, out
    assert out.split() == ["1", "2"]
    assert assert_consistent(home) == 2
    finish = write(home, 3, 5)
    assert finish.communicate(timeout=120)[0].split() == ["3", "4"]
    assert assert_consistent(home) == 4


def test_killed_from_outside_at_random_moments(home: Path) -> None:
    rng = random.Random(13)
    first = 1
    for _ in range(4):
        proc = write(home, first, first + GENERATIONS)
        assert proc.stdout is not None
        proc.stdout.readline()  # it is writing
        time.sleep(rng.uniform(0.0, 0.3))
        proc.kill()
        proc.communicate(timeout=60)
        done = assert_consistent(home)
        assert done >= first
        first = done + 1


def test_the_check_sees_an_index_that_lost_a_span(home: Path) -> None:
    """The consistency check can fail: an index entry dropped behind the table's back."""
    with Library.open(home) as library, library.catalog.engine.begin() as conn:
        row = conn.execute(text("SELECT id, text FROM text_spans LIMIT 1")).one()
        conn.execute(
            text(
                f"INSERT INTO {WORDS_TABLE}({WORDS_TABLE}, rowid, text) VALUES ('delete', :i, :t)"
            ),
            {"i": row[0], "t": row[1]},
        )
    with pytest.raises(Exception, match="malformed|damaged"):
        assert_consistent(home)
