"""``vidseek demo``: a small offline library of generated videos, indexed and searched.

Everything comes from the project itself (the synthetic world and the bundled demo model),
so it runs on a fresh install with no network.
"""

from __future__ import annotations

import importlib.util
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
from vidseek.core.types import Clip
from vidseek.demo.render import generate_library
from vidseek.demo.speaking import generate_speaking_library
from vidseek.demo.world import describe
from vidseek.indexer.options import EvidenceOptions, IndexOptions
from vidseek.indexer.pipeline import index_paths
from vidseek.search.query import Searcher, SearchOptions

FORMATS = ("mp4", "webm", "mkv", "avi", "mov")
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "de": "German", "fr": "French", "zh": "Chinese"}


@click.command("demo")
@click.option("--videos", "n_videos", default=6, show_default=True, help="Videos to generate.")
@click.option(
    "--speaking", "n_speaking", default=2, show_default=True,
    help="Speaking videos to generate too (narration, signs, subtitles in five languages), "
    "indexed with speech, subtitles and on-screen text; 0: none.",
)  # fmt: skip
@click.option("--seed", default=2026, show_default=True, help="Seed of the generated world.")
@click.pass_obj
def demo_command(app: AppContext, n_videos: int, n_speaking: int, seed: int) -> None:
    """Generate demo videos, index them with the bundled model, and run example searches.

    The library goes to <library>/demo (so your own library is untouched); afterwards you can
    search it yourself with the command printed at the end. With speaking videos it also
    searches a spoken phrase (speech) and a sign's words (on-screen text); speech needs the
    `speech` extra and on-screen text the `ocr` extra, else those are left out.
    """
    home = app.home / "demo"
    videos_dir = home / "videos"
    paths = sorted(videos_dir.glob("video_*")) if videos_dir.exists() else []
    paths = [p for p in paths if p.suffix != ".json"]
    if len(paths) < n_videos:
        click.echo(f"generating {n_videos} demo videos in {videos_dir} …")
        paths = generate_library(videos_dir, n_videos, seed=seed, formats=FORMATS)
    speaking = _speaking_videos(videos_dir / "speaking", n_speaking, seed)
    kinds = _evidence_kinds() if speaking else None
    library = Library.open(home, notify=lambda m: click.echo(f"note: {m}", err=True))
    try:
        encoder = load_encoder(DEMO_MODEL)
        bar = TerminalProgress()
        try:
            options = IndexOptions(evidence=EvidenceOptions(kinds=kinds))
            report = index_paths(library, encoder, [videos_dir], options=options, progress=bar)
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
        for label, kind, text, where in _text_queries(speaking, kinds or (), seed):
            clips = searcher.search_text(text, SearchOptions(k=3, modalities=(kind,)))
            click.echo(f"\n[{label}] {text!r}   ({where})")
            for rank, clip in enumerate(clips, 1):
                click.echo(f"  {rank}. {_text_result(clip)}")
            if not clips:
                click.echo("  (nothing found)")
    finally:
        library.close()
    click.echo(f'\nTry your own: vidseek --library {home} search "{_try_your_own(paths)}"')


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


def _speaking_videos(folder: Path, n: int, seed: int) -> list[Path]:
    if n <= 0:
        return []
    paths = sorted(p for p in folder.glob("speaking_*.mkv")) if folder.exists() else []
    if len(paths) < n:
        click.echo(f"generating {n} speaking demo videos in {folder} …")
        paths = generate_speaking_library(  # seed + 1: scenes other than the silent videos'
            folder, n, seed=seed + 1, size=(960, 540), duration=(12.0, 16.0)
        )
    return paths[:n]


def _evidence_kinds() -> tuple[str, ...]:
    """Subtitles always; speech and on-screen text where their extras are installed."""
    kinds = ["subtitle"]
    for kind, module, extra in (("speech", "faster_whisper", "speech"),
                                ("ocr", "rapidocr_onnxruntime", "ocr")):  # fmt: skip
        if importlib.util.find_spec(module) is not None:
            kinds.append(kind)
        else:
            click.echo(f"note: {kind} is left out (install vidseek[{extra}])", err=True)
    return tuple(kinds)


def _try_your_own(paths: list[Path]) -> str:
    """A shape and colour the last generated video shows (an absent one would say "no
    match", which is right but a poor first try)."""
    scene = json.loads(Path(f"{paths[-1]}.json").read_text("utf-8"))["scenes"][0]
    return describe(scene["shape"], scene["color"], None, "en")


def _text_queries(
    paths: list[Path], kinds: tuple[str, ...], seed: int
) -> list[tuple[str, str, str, str]]:
    """A spoken phrase (4 words of a narrated sentence) and a sign's words, each from a
    generated speaking video: (label, modality, query, where it is)."""
    if not paths:
        return []
    rng = random.Random(seed)
    truth = json.loads(Path(f"{rng.choice(paths)}.json").read_text("utf-8"))
    name, queries = truth["path"], []
    if "speech" in kinds:
        words = rng.choice(truth["narration"])["words"]
        first = rng.randrange(0, len(words) - 3)
        text = " ".join(w[2] for w in words[first : first + 4])
        queries.append(
            ("spoken", "speech", text, f"said in {name} at {timestamp(words[first][0])}")
        )
    if "ocr" in kinds:
        sign = rng.choice(truth["on_screen"])
        span = f"{timestamp(sign['start'])}-{timestamp(sign['end'])}"
        queries.append(("on screen", "ocr", sign["text"], f"shown in {name} {span}"))
    return queries


def _text_result(clip: Clip) -> str:
    line = (
        f"{clip.score:.3f}  {timestamp(clip.start)}-{timestamp(clip.end)}  {Path(clip.path).name}"
    )
    snippet = getattr(clip, "snippet", None)
    if snippet:
        line += f"  {snippet['kind']}: {snippet['text']!r}"
    return line
