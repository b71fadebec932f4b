"""``vidseek demo``: a small offline library of generated videos, indexed and searched.

Everything comes from the project itself (the synthetic world and the bundled demo model),
so it runs on a fresh install with no network.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import click

from vidseek.cli.commands_index import print_summary
from vidseek.cli.commands_search import timestamp
from vidseek.cli.context import AppContext
from vidseek.cli.progress import TerminalProgress
from vidseek.core.library import Library
from vidseek.core.models import DEMO_MODEL, load_encoder
from vidseek.demo.render import generate_library
from vidseek.demo.world import describe
from vidseek.indexer.pipeline import index_paths
from vidseek.search.query import Searcher, SearchOptions

FORMATS = ("mp4", "webm", "mkv", "avi", "mov")
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "de": "German", "fr": "French", "zh": "Chinese"}


@click.command("demo")
@click.option("--videos", "n_videos", default=6, show_default=True, help="Videos to generate.")
@click.option("--seed", default=2026, show_default=True, help="Seed of the generated world.")
@click.pass_obj
def demo_command(app: AppContext, n_videos: int, seed: int) -> None:
    """Generate demo videos, index them with the bundled model, and run example searches.

    The library goes to <library>/demo (so your own library is untouched); afterwards you can
    search it yourself with the command printed at the end.
    """
    home = app.home / "demo"
    videos_dir = home / "videos"
    paths = sorted(videos_dir.glob("video_*")) if videos_dir.exists() else []
    paths = [p for p in paths if p.suffix != ".json"]
    if len(paths) < n_videos:
        click.echo(f"generating {n_videos} demo videos in {videos_dir} …")
        paths = generate_library(videos_dir, n_videos, seed=seed, formats=FORMATS)
    library = Library.open(home, notify=lambda m: click.echo(f"note: {m}", err=True))
    try:
        encoder = load_encoder(DEMO_MODEL)
        bar = TerminalProgress()
        try:
            report = index_paths(library, encoder, [videos_dir], progress=bar)
        finally:
            bar.close()
        print_summary(report)
        searcher = Searcher(library, encoder)
        for lang, text, truth in _example_queries(paths, seed):
            clips = searcher.search_text(text, SearchOptions(k=3))
            click.echo(f"\n[{LANGUAGE_NAMES[lang]}] {text!r}   (it is in {truth})")
            for rank, clip in enumerate(clips, 1):
                span = f"{timestamp(clip.start)}-{timestamp(clip.end)}"
                click.echo(f"  {rank}. {clip.score:.3f}  {span}  {Path(clip.path).name}")
    finally:
        library.close()
    example = 'search "a yellow star on a black background"'
    click.echo(f"\nTry your own: vidseek --library {home} {example}")


def _example_queries(paths: list[Path], seed: int) -> list[tuple[str, str, str]]:
    """One query per language, each describing a real scene of a generated video."""
    rng = random.Random(seed)
    queries = []
    for lang in LANGUAGE_NAMES:
        path = rng.choice(paths)
        truth = json.loads(Path(f"{path}.json").read_text())
        scene = rng.choice(truth["scenes"])
        text = describe(scene["shape"], scene["color"], scene["background"], lang)
        where = f"{path.name} {timestamp(scene['start'])}-{timestamp(scene['end'])}"
        queries.append((lang, text, where))
    return queries
