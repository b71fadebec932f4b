"""CLI latency: wall time and peak RSS of fresh ``vidseek`` processes, median of N runs.

    .venv/bin/python -m bench.cli_latency [--runs 5] [--videos 3] [--workdir DIR]

Builds its own libraries in ``--workdir`` (default: a temporary folder): a few generated demo
videos indexed with the bundled ``vidseek-demo`` model, and the same videos indexed with
``ViT-B-32:random`` (a ViT-B-32 architecture with random weights: real sizes, no download).
The text export cache lives in the work folder too, so the first search of each library
(which exports the text tower, with torch) is timed on its own and the measured runs after
it are what every later search costs. Each run is a new process (cold interpreter, warm page
cache); peak RSS is its maximum resident set as /usr/bin/time reports it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import print_machine

SCRIPT = Path(sys.executable).with_name("vidseek")  # the console script users run
VIDSEEK = [str(SCRIPT)] if SCRIPT.is_file() else [sys.executable, "-m", "vidseek.cli.main"]
QUERY = "a red circle"
TIME, MARK = "/usr/bin/time", "VIDSEEK_PEAK_RSS_KIB"

# name, command after `vidseek`, target seconds, target peak MB (None: no target)
CASES = [
    ("vidseek --help", ["--help"], 0.3, None),
    ("vidseek videos list (demo)", ["--library", "{demo}", "videos", "list"], 0.5, None),
    ("vidseek search (demo model)", ["--library", "{demo}", "search", QUERY], 1.5, 400),
    ("vidseek search (ViT-B-32)", ["--library", "{vit}", "search", QUERY], 3.0, None),
]


def run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one ``vidseek`` process; fails loudly.

    Measured through /usr/bin/time: Linux carries ``ru_maxrss`` across exec, so a child
    forked from this (larger) process would report this process's size.
    """
    start = time.perf_counter()
    done = subprocess.run(
        [TIME, "-f", f"{MARK} %M", *VIDSEEK, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"vidseek {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    (line,) = [ln for ln in done.stderr.splitlines() if ln.startswith(MARK)]
    return wall, int(line.split()[-1]) * 1024 / 1e6  # %M is in KiB


def build(workdir: Path, n_videos: int, env: dict[str, str]) -> dict[str, str]:
    from vidseek.demo.render import generate_library

    videos = workdir / "videos"
    if not videos.exists():
        generate_library(videos, n_videos, seed=2026, formats=("mp4", "webm", "mkv"))
    homes = {"demo": workdir / "demo-library", "vit": workdir / "vit-library"}
    for name, model in (("demo", "vidseek-demo"), ("vit", "ViT-B-32:random")):
        if not (homes[name] / "catalog.sqlite").exists():
            start = time.perf_counter()
            args = ["--library", str(homes[name]), "--model", model, "index", str(videos)]
            subprocess.run([*VIDSEEK, *args, "--no-progress"], env=env, check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
            print(f"indexed {n_videos} videos with {model} in {time.perf_counter() - start:.1f} s")
    return {name: str(home) for name, home in homes.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--videos", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="Keep the libraries here (default: temp).")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="vidseek-cli-latency-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "VIDSEEK_CACHE_DIR": str(workdir / "cache"), "HF_HUB_OFFLINE": "1"}
    env.pop("VIDSEEK_HOME", None)
    print_machine(f"runs: {args.runs} fresh processes each, median reported")
    homes = build(workdir, args.videos, env)
    for name in ("demo", "vit"):  # the first search exports the text tower
        wall, rss = run(["--library", homes[name], "search", QUERY], env)
        print(f"first search of the {name} library (exports): {wall:.2f} s, {rss:.0f} MB")
    print()
    print("| command | median wall | min–max | median peak RSS | target | met |")
    print("|---|---|---|---|---|---|")
    for label, template, target_s, target_mb in CASES:
        argv = [a.format(**homes) for a in template]
        walls, peaks = zip(*(run(argv, env) for _ in range(args.runs)), strict=True)
        wall, peak = statistics.median(walls), statistics.median(peaks)
        met = wall <= target_s and (target_mb is None or peak <= target_mb)
        target = f"≤ {target_s} s" + (f", ≤ {target_mb} MB" if target_mb else "")
        print(
            f"| `{label}` | {wall:.2f} s | {min(walls):.2f}–{max(walls):.2f} s | "
            f"{peak:.0f} MB | {target} | {'yes' if met else 'NO'} |"
        )
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
