"""The second, independent renderer (tests/second_renderer.py) draws what issue #14 asks for.

Its videos are what ``bench/demo_generalization.py`` measures the demo model on (R@1 and top-1
IoU through the real pipeline; bench/RESULTS.md, "Demo model on a second renderer"); here the
renderer itself is checked: all shapes, small sizes, cuts at every scene, real containers, a
ground truth that matches the frames, and ``score_world`` scoring a perfect and a wrong search.
"""

import av
import numpy as np

from tests.second_renderer import (
    PALETTE,
    SIZES,
    held_out_world,
    render_video,
    score_world,
    still_frames,
    write_world,
)
from vidseek.demo.world import LANGUAGES, SHAPES

SEED = 31_337  # bench/demo_generalization.py uses 4242 by default


def test_the_world_is_varied():
    specs = held_out_world(SEED, 8)
    scenes = [s for spec in specs for s in spec.scenes]
    assert {s.shape for s in scenes} == set(SHAPES)
    assert {spec.container for spec in specs} == {"mp4", "mkv", "webm"}
    assert len({(spec.width, spec.height) for spec in specs}) >= 4
    assert all(a.background != b.background for spec in specs
               for a, b in zip(spec.scenes, spec.scenes[1:], strict=False))  # fmt: skip


def test_shapes_are_small_and_the_truth_matches_the_frames(tmp_path):
    spec = held_out_world(SEED, 1)[0]
    scenes = spec.scenes[:2]
    truth = render_video(tmp_path / "v.mkv", scenes, seed=1, container="mkv")
    heights = [s["shape_height_px"] for s in truth["scenes"]]
    assert all(24 <= h <= 60 for h in heights), heights  # 10–25 % of 240 px
    assert (tmp_path / "v.mkv.json").exists() and truth["duration"] == scenes[1].end
    with av.open(str(tmp_path / "v.mkv")) as container:
        frames = [(f.time, f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
    for scene in scenes:
        t, rgb = min(frames, key=lambda f: abs(f[0] - (scene.start + scene.end) / 2))
        pixels = rgb.reshape(-1, 3).astype(int)
        bg = np.abs(pixels - PALETTE[scene.background]).sum(1) < 60
        fg = np.abs(pixels - PALETTE[scene.color]).sum(1) < 60
        assert bg.mean() > 0.6, (t, scene)  # mostly background ...
        assert 0.003 < fg.mean() < 0.1, (t, scene, fg.mean())  # ... and a small shape


def test_score_world_counts_right_and_wrong(tmp_path):
    truths = write_world(tmp_path, SEED, 2)

    def oracle(text: str) -> tuple[str, float, float]:
        for path, truth in truths.items():
            for s in truth["scenes"]:
                if any(text in d for d in s["descriptions"].values()):
                    return path, s["start"], s["end"]
        raise AssertionError(text)

    perfect = score_world(oracle, truths)
    assert perfect["iou_at_least_0.5"] == 1.0 and not perfect["misses"]
    assert all(v == 1.0 for p in perfect["recall_at_1"].values() for v in p.values())
    assert set(perfect["recall_at_1"]["shape+colour"]) == set(LANGUAGES)

    first = next(iter(truths))
    wrong = score_world(lambda text: (first, 0.0, 0.5), truths)
    assert wrong["iou_at_least_0.5"] < 0.2 and wrong["misses"]


def test_still_frames_show_the_scene_at_every_frame_size():
    stills = still_frames(SEED, 20)
    assert {s.rgb.shape[:2][::-1] for s in stills} == {(w, h) for w, h, _ in SIZES}
    assert {s.scene.shape for s in stills} == set(SHAPES)
    for still in stills:
        height = still.rgb.shape[0]
        assert 0.10 * height <= still.shape_height_px <= 0.25 * height
        pixels = still.rgb.reshape(-1, 3).astype(int)
        fg = np.abs(pixels - PALETTE[still.scene.color]).sum(1) < 60
        assert 0.002 < fg.mean() < 0.1, (still.scene, fg.mean())  # a small shape, in colour
    assert not np.array_equal(still_frames(SEED + 1, 1)[0].rgb, stills[0].rgb)
