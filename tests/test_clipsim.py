"""CLIPSIM and the Fréchet CLIP distance through the real decoder and the bundled demo model."""

import json
import random

import pytest
from click.testing import CliRunner

import vidseek
from vidseek.cli.main import cli
from vidseek.core.models import load_encoder
from vidseek.demo.render import write_video
from vidseek.demo.world import COLORS, SHAPES, Scene, describe
from vidseek.evaluation.clipsim import clipsim

HELD_OUT_SEED = 31_337  # training uses seeds below 10_000


def _scenes(n: int) -> list[Scene]:
    rng = random.Random(HELD_OUT_SEED)
    picked: list[Scene] = []
    while len(picked) < n:
        shape, (color, background) = rng.choice(SHAPES), rng.sample(COLORS, 2)
        if all((s.shape, s.color) != (shape, color) for s in picked):
            picked.append(Scene(0.0, 3.0, shape, color, background))
    return picked


@pytest.fixture(scope="module")
def single_scene_videos(tmp_path_factory):
    """Eight 3 s videos of one scene each, and each one's true English description."""
    folder = tmp_path_factory.mktemp("clipsim")
    truth = {}
    for i, scene in enumerate(_scenes(8)):
        path = folder / f"scene_{i}.mp4"
        write_video(path, [scene], width=224, height=168, fps=12, seed=i)
        truth[path] = describe(scene.shape, scene.color, scene.background)
    return folder, truth


@pytest.fixture(scope="module")
def encoder():
    return load_encoder("vidseek-demo")


def test_the_true_description_always_scores_higher_than_a_wrong_one(single_scene_videos, encoder):
    _, truth = single_scene_videos
    cases = wins = 0
    for path, right in truth.items():
        features_score = clipsim(path, right, encoder)
        assert len(features_score.cosines) == 3  # 3 s at the default 1 frame per second
        for other, wrong in truth.items():
            if other == path:
                continue
            cases += 1
            wins += features_score.clipsim > clipsim(path, wrong, encoder).clipsim
    assert cases == 56
    assert wins == cases


def test_clip_score_is_the_clamped_100x_mean(single_scene_videos, encoder):
    _, truth = single_scene_videos
    path, prompt = next(iter(truth.items()))
    result = vidseek.score(path, prompt, fps=2.0)
    assert len(result.cosines) == 6 and list(result.times) == sorted(result.times)
    assert result.clipsim == pytest.approx(float(result.cosines.mean()))
    expected = float((100 * result.cosines).clip(min=0).mean())
    assert result.clip_score == pytest.approx(expected)


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_scores_one_video_with_frames(single_scene_videos, tmp_path):
    _, truth = single_scene_videos
    path, prompt = next(iter(truth.items()))
    result = _run("--library", str(tmp_path / "none"), "score", str(path), prompt, "--frames")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["metric"] == "clipsim" and payload["model"] == "vidseek-demo:bundled"
    (row,) = payload["results"]
    assert row["prompt"] == prompt and row["frames"] == 3
    assert [f["time"] for f in row["frame_scores"]] == pytest.approx([0.0, 1.0, 2.0])
    assert not (tmp_path / "none").exists()  # scoring creates no library


def test_cli_scores_a_prompts_file_as_json_and_csv(single_scene_videos, tmp_path):
    folder, truth = single_scene_videos
    rows = [{"video": p.name, "prompt": d} for p, d in truth.items()]
    jsonl = tmp_path / "prompts.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in rows))
    csv_file = tmp_path / "prompts.csv"
    csv_file.write_text("video,caption\n" + "".join(f"{r['video']},{r['prompt']}\n" for r in rows))
    library = str(tmp_path / "none")
    as_json = _run("--library", library, "score", "--prompts", str(jsonl), "--videos", str(folder))
    assert as_json.exit_code == 0, as_json.output
    results = json.loads(as_json.output)["results"]
    assert [r["prompt"] for r in results] == [r["prompt"] for r in rows]
    as_csv = _run(
        "--library", library, "score", "--prompts", str(csv_file), "--videos", str(folder), "--csv"
    )
    assert as_csv.exit_code == 0, as_csv.output
    lines = as_csv.output.strip().splitlines()
    assert lines[0] == "video,prompt,clipsim,clip_score,frames,model"
    assert len(lines) == 1 + len(rows)
    assert [float(line.split(",")[2]) for line in lines[1:]] == pytest.approx(
        [r["clipsim"] for r in results], abs=1e-5
    )


def test_cli_refuses_a_missing_video_and_a_bad_call(single_scene_videos, tmp_path):
    folder, _ = single_scene_videos
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(json.dumps({"video": "nope.mp4", "prompt": "a red circle"}))
    library = str(tmp_path / "none")
    args = ["--library", library, "score", "--prompts", str(prompts), "--videos", str(folder)]
    missing = _run(*args)
    assert missing.exit_code == 1 and "nope.mp4" in missing.output
    assert _run("--library", library, "score").exit_code == 2


def test_frechet_clip_distance_of_folders(single_scene_videos, tmp_path):
    folder, truth = single_scene_videos
    half = tmp_path / "half"
    half.mkdir()
    for path in list(truth)[:4]:
        (half / path.name).symlink_to(path)
    library = str(tmp_path / "none")
    same = _run("--library", library, "score", "--frechet", str(folder), str(folder))
    assert same.exit_code == 0, same.output
    payload = json.loads(same.output)
    assert payload["metric"] == "frechet_clip_distance"
    assert payload["value"] == pytest.approx(0.0, abs=1e-6)
    assert payload["a"]["videos"] == 8 and payload["a"]["frames"] == 24
    other = vidseek.frechet_clip_distance(folder, half)
    assert other["value"] > 0.01 and other["b"]["videos"] == 4
