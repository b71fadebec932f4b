"""Train a vidseek demo model: a tiny CLIP that knows only the synthetic demo world.

``scripts/train_demo_model.sh`` runs the recipe of the shipped weights (issue #14) into /tmp
and evaluates them: this script twice, at 128 px from scratch and then at 160 px from the
first stage's weights (``--init``); data/models/vidseek-demo/MODEL_CARD.md has its numbers.
The text tower is taken from the first release of the demo model (``--text-from``) and kept
frozen: it already tells every caption of the world apart in five languages, so every caption
is embedded once before training. Only the image tower (an open_clip ModifiedResNet on the
model's input, letterboxed or squashed as its ``preprocess_cfg`` says) and the logit scale
are trained, on frames of the training renderer in ``scripts/demo_data.py`` (any size 8–60 %
of the short side, any position, angle and proportions, codec damage). The loss has three
parts, all against the fixed caption embeddings:

- image → every full caption (224 triples) and every shape+colour caption (32 pairs), in
  each of the 10 phrasings, in one softmax where both of the image's captions are right;
- image → every shape+colour caption: cross-entropy;
- one random caption per image → the batch's images (CLIP's text → image direction, soft
  targets: a caption is a positive for every image it describes).

Examples:
  python scripts/train_demo_model.py --config scripts/demo_model_stage1.json \
      --out /tmp/demo-model-new                                      # train, save, evaluate
  python scripts/train_demo_model.py --config scripts/demo_model_config.json \
      --steps 50 --per-triple 4 --out /tmp/smoke                     # quick smoke run
  python scripts/train_demo_model.py --eval-only --out DIR           # evaluate saved weights
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import resource
import shutil
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import open_clip  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

from scripts.demo_data import (  # noqa: E402
    PAIR_INDEX,
    PAIRS,
    TRIPLES,
    VARIANTS,
    all_captions,
    make_pool,
)
from scripts.demo_eval import eval_frames, eval_videos, n_missing, summary  # noqa: E402
from vidseek.core.models.byte_tokenizer import ByteTokenizer  # noqa: E402

DEFAULT_OUT = ROOT / "data" / "models" / "vidseek-demo"
WEIGHTS = "open_clip_model.safetensors"
CONFIG = "open_clip_config.json"
VAL_SEED, TEST_FRAMES_SEED, TEST_VIDEO_SEED = 7_777, 90_001, 90_002  # never used in training


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--steps", type=int, default=1500, help="optimiser steps (default 1500)")
    p.add_argument("--batch", type=int, default=96, help="batch size, distinct triples")
    p.add_argument("--lr", type=float, default=2e-3, help="peak AdamW learning rate")
    p.add_argument("--seed", type=int, default=0, help="seed for data, init and order")
    p.add_argument("--per-triple", type=int, default=96, help="pool images per (shape,colour,bg)")
    p.add_argument("--workers", type=int, default=2, help="processes rendering the pool")
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    p.add_argument("--eval-every", type=int, default=250, help="validate (and save) every N steps")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="model dir (config + weights)")
    p.add_argument("--config", type=Path, default=DEFAULT_OUT / CONFIG,
                   help="open_clip config to build (copied into --out)")  # fmt: skip
    p.add_argument("--text-from", type=Path, default=DEFAULT_OUT / WEIGHTS,
                   help="weights whose text tower is used, frozen (the demo model's)")  # fmt: skip
    p.add_argument("--init", type=Path, default=None,
                   help="start from these .safetensors (may be another input size)")  # fmt: skip
    p.add_argument("--cache", type=Path, default=Path("/tmp"), help="where the pool is cached")
    p.add_argument("--metrics", type=Path, default=None, help="write final metrics JSON here")
    p.add_argument("--fp32", action="store_true", help="store fp32 weights (default fp16)")
    p.add_argument("--eval-only", action="store_true", help="only evaluate the saved weights")
    return p.parse_args()


def seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def build_pool(args: argparse.Namespace, cfg: dict, seed: int, n: int) -> np.ndarray:
    """Images ``0..n-1`` for ``seed``, cached on disk (a function of seed, size, fit, count)."""
    size = cfg["model_cfg"]["vision_cfg"]["image_size"]
    pre = cfg.get("preprocess_cfg", {})
    mode, fill = pre.get("resize_mode", "squash"), int(pre.get("fill_color", 0))
    path = args.cache / f"vidseek_demo_pool_s{seed}_{size}px_{mode}{fill}_{n}.npy"
    if path.exists():
        return np.load(path)
    t0 = time.time()
    chunks = [(seed, i, min(i + 256, n), size, mode, fill) for i in range(0, n, 256)]
    with Pool(args.workers) as workers:
        images = np.concatenate(workers.starmap(make_pool, chunks))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, images)
    print(f"rendered {n} images in {time.time() - t0:.0f}s", flush=True)
    return images


def to_input(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 NHWC → normalised float NCHW (mean = std = 0.5, as in preprocess_cfg)."""
    x = torch.as_tensor(images).permute(0, 3, 1, 2).float() / 255.0
    return (x - 0.5) / 0.5


def load_text_tower(model: torch.nn.Module, path: Path) -> None:
    """Copy the text tower from ``path`` and freeze it. The logit scale starts at open_clip's
    own initial value, so a rerun from the shipped weights trains the same model."""
    own = ("visual.", "logit_scale")
    state = {k: v.float() for k, v in load_file(str(path)).items() if not k.startswith(own)}
    missing, unexpected = model.load_state_dict(state, strict=False)
    not_visual = [k for k in missing if not k.startswith(own)]
    if not_visual or unexpected:
        raise SystemExit(f"text tower does not fit: missing {not_visual}, unexpected {unexpected}")
    for name, p in model.named_parameters():
        p.requires_grad = name.startswith("visual.") or name == "logit_scale"


@torch.no_grad()
def resize_attnpool(state: dict, target: dict) -> dict:
    """``state`` with its attention pool's position grid resized (bicubic) to the model's, so
    that weights trained at one input size can continue at another (the convolutions are
    size-free; the grid is input/32 on a side)."""
    key = "visual.attnpool.positional_embedding"
    old, new = state[key], target[key]
    if old.shape == new.shape:
        return state
    side, new_side = math.isqrt(old.shape[0] - 1), math.isqrt(new.shape[0] - 1)
    grid = old[1:].reshape(1, side, side, -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=(new_side, new_side), mode="bicubic", align_corners=False)
    return {**state, key: torch.cat([old[:1], grid.permute(0, 2, 3, 1).reshape(-1, old.shape[1])])}


@torch.no_grad()
def caption_bank(model, tokenizer) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit caption embeddings: full (variants, triples, d), shape+colour (variants, pairs, d)."""
    full, short = all_captions()
    enc = [model.encode_text(tokenizer(full[i : i + 256]), normalize=True)
           for i in range(0, len(full), 256)]  # fmt: skip
    t_full = torch.cat(enc).view(len(VARIANTS), len(TRIPLES), -1)
    t_short = model.encode_text(tokenizer(short), normalize=True)
    t_short = t_short.view(len(VARIANTS), len(PAIRS), -1)
    return t_full, t_short


def param_groups(model: torch.nn.Module, wd: float) -> list[dict]:
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        flat = p.ndim < 2 or "logit_scale" in name or "bn" in name or "positional" in name
        (no_decay if flat else decay).append(p)
    return [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]


def bank_recall(vecs: torch.Tensor, labels: list[int], t_full, t_short) -> dict[str, float]:
    """Text → image R@1 over a gallery with one vector per triple, averaged over phrasings."""
    top_full = torch.einsum("vkd,nd->vkn", t_full, vecs).argmax(-1)  # (variants, triples)
    lab = torch.tensor(labels)
    full = (lab[top_full] == torch.arange(len(TRIPLES))).float().mean().item()
    pair_of = torch.tensor([PAIR_INDEX[TRIPLES[t][:2]] for t in labels])
    top_short = torch.einsum("vkd,nd->vkn", t_short, vecs).argmax(-1)
    short = (pair_of[top_short] == torch.arange(len(PAIRS))).float().mean().item()
    return {"full": full, "shape+colour": short}


def train(args: argparse.Namespace, cfg: dict) -> dict:
    """Train the image tower, save the weights, return wall and CPU time and load averages."""
    seed_all(args.seed)
    model = open_clip.model.CLIP(**cfg["model_cfg"])
    if args.init:  # continue from a saved run (fp16 weights are cast back to fp32)
        state = {k: v.float() for k, v in load_file(str(args.init)).items()}
        model.load_state_dict(resize_attnpool(state, model.state_dict()))
    load_text_tower(model, args.text_from)
    tokenizer = ByteTokenizer(cfg["model_cfg"]["text_cfg"]["context_length"])
    t_start, loads = time.time(), [os.getloadavg()[0]]
    model.eval()
    t_full, t_short = caption_bank(model, tokenizer)
    t_both = torch.cat([t_full, t_short], 1)  # (variants, triples + pairs, d)
    n = args.per_triple * len(TRIPLES)
    images = build_pool(args, cfg, args.seed, n)
    val = to_input(build_pool(args, cfg, VAL_SEED, 2 * len(TRIPLES)))
    val_labels = list(range(len(TRIPLES)))
    trainable = [p for p in model.parameters() if p.requires_grad]
    print(f"trainable parameters: {sum(p.numel() for p in trainable):,}", flush=True)
    opt = torch.optim.AdamW(param_groups(model, 0.05), lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    warmup = max(1, args.steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt,
        lambda s: (
            (s + 1) / warmup
            if s < warmup
            else 0.5 * (1 + math.cos(math.pi * (s - warmup) / max(1, args.steps - warmup)))
        ),
    )
    rng = random.Random(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    n_triples, n_var = len(TRIPLES), len(VARIANTS)
    pair_of = torch.tensor([PAIR_INDEX[t[:2]] for t in TRIPLES])
    model.visual.train()
    for step in range(1, args.steps + 1):
        tri = rng.sample(range(n_triples), args.batch)
        idx = [t + n_triples * rng.randrange(args.per_triple) for t in tri]
        x = to_input(images[idx])
        flip = torch.rand(len(idx), generator=gen) < 0.5
        x[flip] = x[flip].flip(-1)
        y_tri = torch.tensor(tri)
        y_pair = pair_of[y_tri]
        img = model.encode_image(x, normalize=True)
        scale = model.logit_scale.exp()
        # full and shape+colour captions in one softmax, the image's two both right (half the
        # target each): a query that leaves the background out scores as high as one that
        # names it, which the confidence margin (search/confidence.py) relies on
        log_both = F.log_softmax(scale * torch.einsum("bd,vkd->bvk", img, t_both), -1)
        right = torch.stack([y_tri, n_triples + y_pair], 1)[:, None, :].expand(-1, n_var, 2)
        loss_full = -log_both.gather(2, right).mean()
        logits_short = scale * torch.einsum("bd,vkd->bvk", img, t_short)
        loss_short = F.cross_entropy(logits_short.flatten(0, 1), y_pair.repeat_interleave(n_var))
        # one caption per image (random phrasing, background left out 35 % of the time) → images
        var = torch.randint(n_var, (args.batch,), generator=gen)
        with_bg = torch.rand(args.batch, generator=gen) < 0.65
        caps = torch.where(with_bg[:, None], t_full[var, y_tri], t_short[var, y_pair])
        same_pair = y_pair[:, None] == y_pair[None, :]
        match = torch.where(with_bg[:, None], y_tri[:, None] == y_tri[None, :], same_pair).float()
        log_p = F.log_softmax(scale * caps @ img.T, 1)
        loss_t2i = -((match / match.sum(1, keepdim=True)) * log_p).sum(1).mean()
        loss = loss_full + loss_short + loss_t2i
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        sched.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        if step % 25 == 0:
            loads.append(os.getloadavg()[0])
            el = time.time() - t_start
            parts = " ".join(f"{v.item():.2f}" for v in (loss_full, loss_short, loss_t2i))
            print(f"step {step} loss {loss.item():.3f} ({parts}) scale {scale.item():.1f}"
                  f" lr {sched.get_last_lr()[0]:.2e} {el:.0f}s load {loads[-1]:.1f}",
                  flush=True)  # fmt: skip
        if step % args.eval_every == 0 or step == args.steps:
            model.visual.eval()
            with torch.no_grad():
                v = model.encode_image(val, normalize=True).view(2, n_triples, -1).mean(0)
                m = bank_recall(F.normalize(v, dim=-1), val_labels, t_full, t_short)
            model.visual.train()
            print(f"val step {step}: {summary(m)}", flush=True)
            save(model, args)
    model.eval()
    wall = time.time() - t_start
    usage = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(u.ru_utime + u.ru_stime for u in usage)
    save(model, args)
    timing = {
        "train_wall_s": round(wall),
        "train_cpu_s": round(cpu),
        "load_avg_mean": round(sum(loads) / len(loads), 2),
        "load_avg_max": round(max(loads), 2),
        "threads": args.threads,
    }
    print(f"trained: {json.dumps(timing)}; saved {args.out / WEIGHTS}", flush=True)
    return timing


def save(model: torch.nn.Module, args: argparse.Namespace) -> None:
    state = {k: (v if args.fp32 else v.half()).contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(args.out / WEIGHTS))
    (args.out / WEIGHTS).chmod(0o644)


class _RandomInitWarning(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen = False

    def emit(self, record: logging.LogRecord) -> None:
        self.seen |= "initialized randomly" in record.getMessage()


def evaluate(args: argparse.Namespace, cfg: dict) -> dict:
    """Load the saved model as vidseek does; R@1 on the first renderer's held-out sets."""
    watch = _RandomInitWarning()
    logging.getLogger().addHandler(watch)
    model, _, preprocess = open_clip.create_model_and_transforms("local-dir:" + str(args.out))
    logging.getLogger().removeHandler(watch)
    if watch.seen or not (args.out / WEIGHTS).exists():
        raise SystemExit("weights did not load: open_clip initialised the model randomly")
    model.eval()
    tokenizer = ByteTokenizer(cfg["model_cfg"]["text_cfg"]["context_length"])
    frames = eval_frames(model, preprocess, tokenizer, TEST_FRAMES_SEED)
    print(f"first-renderer test frames (200 scenes): {summary(frames)}", flush=True)
    videos, n = eval_videos(model, preprocess, tokenizer, TEST_VIDEO_SEED)
    print(f"first-renderer test videos ({n} scenes): {summary(videos)}", flush=True)
    size = cfg["model_cfg"]["vision_cfg"]["image_size"]
    x = torch.randn(256, 3, size, size)
    with torch.no_grad():
        model.encode_image(x[:32])
        t0 = time.time()
        model.encode_image(x)
    speed = 256 / (time.time() - t0)
    print(f"image encoding: {speed:.0f} img/s ({torch.get_num_threads()} threads)")
    ok = n_missing(frames) == 0 and n_missing(videos) == 0
    print("first-renderer targets met" if ok else "FIRST-RENDERER TARGETS NOT MET", flush=True)
    return {"frames": frames, "videos": videos, "video_scenes": n, "img_per_s": speed}


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.config.resolve() != (args.out / CONFIG).resolve():
        shutil.copyfile(args.config, args.out / CONFIG)
    cfg = json.loads((args.out / CONFIG).read_text())
    result: dict = {}
    if not args.eval_only:
        result.update(train(args, cfg))
    result.update(evaluate(args, cfg))
    if args.metrics:
        args.metrics.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
