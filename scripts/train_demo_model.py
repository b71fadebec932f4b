"""Train the bundled vidseek demo model: a tiny CLIP that knows only the synthetic demo world.

Images are demo-world frames at random sizes and aspect ratios, put through codec-like damage
(JPEG, chroma subsampling, blur, colour jitter, crop/scale) and open_clip's preprocessing.
Captions are random phrasings in en/es/de/fr/zh, with or without the background. The loss is
CLIP's symmetric contrastive loss with soft targets: a caption is a positive for every image
in the batch it describes (a caption without background fits any background).

Examples:
  python scripts/train_demo_model.py                 # train, save, reload, evaluate
  python scripts/train_demo_model.py --steps 200     # quick smoke run
  python scripts/train_demo_model.py --eval-only     # evaluate the saved weights
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
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

from scripts.demo_data import TRIPLES, caption, make_pool  # noqa: E402
from scripts.demo_data import preprocess as prep  # noqa: E402
from scripts.demo_eval import (  # noqa: E402
    eval_frames,
    eval_videos,
    frame_set,
    n_missing,
    pool,
    score,
    summary,
)
from vidseek.core.models.byte_tokenizer import ByteTokenizer  # noqa: E402

DEFAULT_OUT = ROOT / "data" / "models" / "vidseek-demo"
WEIGHTS = "open_clip_model.safetensors"
VAL_SEED, TEST_FRAMES_SEED, TEST_VIDEO_SEED = 7_777, 90_001, 90_002  # never used in training


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--steps", type=int, default=600, help="max optimiser steps (default 600)")
    p.add_argument("--batch", type=int, default=96, help="batch size, distinct triples")
    p.add_argument("--lr", type=float, default=2e-3, help="peak AdamW learning rate")
    p.add_argument("--seed", type=int, default=0, help="seed for data, init and order")
    p.add_argument("--per-triple", type=int, default=64, help="pool images per (shape,colour,bg)")
    p.add_argument("--workers", type=int, default=2, help="processes rendering the pool")
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    p.add_argument("--eval-every", type=int, default=100, help="validate every N steps")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="model dir (config + weights)")
    p.add_argument("--cache", type=Path, default=Path("/tmp"), help="where the pool is cached")
    p.add_argument("--metrics", type=Path, default=None, help="write final metrics JSON here")
    p.add_argument("--init", type=Path, default=None, help="start from these .safetensors")
    p.add_argument("--fp32", action="store_true", help="store fp32 weights (default fp16)")
    p.add_argument("--eval-only", action="store_true", help="only evaluate the saved weights")
    return p.parse_args()


def seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def build_pool(args: argparse.Namespace, image_size: int) -> np.ndarray:
    """The training images (cached on disk: a pure function of seed, size and count)."""
    n = args.per_triple * len(TRIPLES)
    path = args.cache / f"vidseek_demo_pool_s{args.seed}_{image_size}px_{n}.npy"
    if path.exists():
        return np.load(path)
    t0 = time.time()
    chunks = [(args.seed, i, min(i + 512, n), image_size) for i in range(0, n, 512)]
    with Pool(args.workers) as workers:
        images = np.concatenate(workers.starmap(make_pool, chunks))
    np.save(path, images)
    print(f"rendered {n} training images in {time.time() - t0:.0f}s", flush=True)
    return images


def to_input(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 NHWC → normalised float NCHW (mean = std = 0.5, as in preprocess_cfg)."""
    x = torch.as_tensor(images).permute(0, 3, 1, 2).float() / 255.0
    return (x - 0.5) / 0.5


def soft_clip_loss(img, txt, scale, match):
    """Symmetric InfoNCE where ``match[i, j]`` marks every image i that caption j describes."""
    logits = scale * img @ txt.T
    t_img = match / match.sum(1, keepdim=True)
    t_txt = match.T / match.T.sum(1, keepdim=True)
    loss_i = -(t_img * F.log_softmax(logits, 1)).sum(1).mean()
    loss_t = -(t_txt * F.log_softmax(logits.T, 1)).sum(1).mean()
    return (loss_i + loss_t) / 2


def param_groups(model: torch.nn.Module, wd: float) -> list[dict]:
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        flat = p.ndim < 2 or "embedding" in name or "logit_scale" in name or "ln_" in name
        (no_decay if flat else decay).append(p)
    return [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]


def validate(model, tokenizer, val) -> dict[str, float]:
    scenes, inputs = val
    model.eval()
    with torch.no_grad():
        vecs = torch.stack([pool(model.encode_image(x, normalize=True)) for x in inputs])
        out = score(model, tokenizer, scenes, vecs)
    model.train()
    return out


def train(args: argparse.Namespace, cfg: dict) -> float:
    """Train from scratch, save the weights, return the training wall time in seconds."""
    seed_all(args.seed)
    model = open_clip.model.CLIP(**cfg["model_cfg"])
    if args.init:  # continue from a saved run (fp16 weights are cast back to fp32)
        model.load_state_dict(load_file(str(args.init)))
    image_size = cfg["model_cfg"]["vision_cfg"]["image_size"]
    tokenizer = ByteTokenizer(cfg["model_cfg"]["text_cfg"]["context_length"])
    t_start = time.time()
    images = build_pool(args, image_size)
    val_scenes, val_frames = frame_set(VAL_SEED, 120)
    val = (val_scenes, [to_input(np.stack([prep(im, image_size) for im in f])) for f in val_frames])
    opt = torch.optim.AdamW(param_groups(model, 0.1), lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
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
    n_triples, saturated = len(TRIPLES), 0
    model.train()
    for step in range(1, args.steps + 1):
        tri = rng.sample(range(n_triples), args.batch)
        idx = [t + n_triples * rng.randrange(args.per_triple) for t in tri]
        x = to_input(images[idx])
        flip = torch.rand(len(idx), generator=gen) < 0.5
        x[flip] = x[flip].flip(-1)
        caps = [caption(rng, TRIPLES[t]) for t in tri]
        keys = [k for _, k in caps]
        match = torch.tensor(
            [
                [float(s == k[0] and c == k[1] and (k[2] is None or b == k[2])) for k in keys]
                for s, c, b in (TRIPLES[t] for t in tri)
            ]
        )
        img = model.encode_image(x, normalize=True)
        txt = model.encode_text(tokenizer([c for c, _ in caps]), normalize=True)
        loss = soft_clip_loss(img, txt, model.logit_scale.exp(), match)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        if step % 25 == 0:
            el = time.time() - t_start
            print(f"step {step} loss {loss.item():.3f} scale {model.logit_scale.exp().item():.1f}"
                  f" lr {sched.get_last_lr()[0]:.2e} {el:.0f}s", flush=True)  # fmt: skip
        if step % args.eval_every == 0 or step == args.steps:
            m = validate(model, tokenizer, val)
            print(f"val step {step}: {summary(m)}", flush=True)
            saturated = saturated + 1 if min(m.values()) >= 0.999 else 0
            if saturated >= 3:
                print(f"validation saturated, stopping at step {step}", flush=True)
                break
    elapsed = time.time() - t_start
    state = {k: (v if args.fp32 else v.half()).contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(args.out / WEIGHTS))
    (args.out / WEIGHTS).chmod(0o644)
    print(f"trained in {elapsed:.0f}s, saved {args.out / WEIGHTS}", flush=True)
    return elapsed


class _RandomInitWarning(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen = False

    def emit(self, record: logging.LogRecord) -> None:
        self.seen |= "initialized randomly" in record.getMessage()


def evaluate(args: argparse.Namespace, cfg: dict) -> dict:
    """Load the saved model as vidseek does and measure R@1 on held-out frames and videos."""
    watch = _RandomInitWarning()
    logging.getLogger().addHandler(watch)
    model, _, preprocess = open_clip.create_model_and_transforms("local-dir:" + str(args.out))
    logging.getLogger().removeHandler(watch)
    if watch.seen or not (args.out / WEIGHTS).exists():
        raise SystemExit("weights did not load: open_clip initialised the model randomly")
    model.eval()
    tokenizer = ByteTokenizer(cfg["model_cfg"]["text_cfg"]["context_length"])
    frames = eval_frames(model, preprocess, tokenizer, TEST_FRAMES_SEED)
    print(f"test frames (200 scenes): {summary(frames)}", flush=True)
    videos, n = eval_videos(model, preprocess, tokenizer, TEST_VIDEO_SEED)
    print(f"test videos ({n} scenes): {summary(videos)}", flush=True)
    x = torch.randn(256, 3, *(cfg["model_cfg"]["vision_cfg"]["image_size"],) * 2)
    with torch.no_grad():
        model.encode_image(x[:32])
        t0 = time.time()
        model.encode_image(x)
    speed = 256 / (time.time() - t0)
    print(f"image encoding: {speed:.0f} img/s ({torch.get_num_threads()} threads)")
    ok = n_missing(frames) == 0 and n_missing(videos) == 0
    print("targets met" if ok else "TARGETS NOT MET", flush=True)
    return {"frames": frames, "videos": videos, "video_scenes": n, "img_per_s": speed}


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    cfg = json.loads((args.out / "open_clip_config.json").read_text())
    result: dict = {}
    if not args.eval_only:
        result["train_seconds"] = train(args, cfg)
    result.update(evaluate(args, cfg))
    if args.metrics:
        args.metrics.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
