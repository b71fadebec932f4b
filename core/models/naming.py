"""Turning a model spec (``NAME[:PRETRAINED]``, preset, ``hf-hub:``, ``local-dir:``) into a plan.

Resolution reads only small config files and never loads or downloads weights. The resolved
``label`` (``name:pretrained``) is itself a valid spec for the same model, so a library can
reload the encoder it was built with from its stored identity.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from vidseek.core.errors import UnknownModel
from vidseek.core.models.presets import DEMO_MODEL, DEMO_PRETRAINED, PRESETS, demo_model_dir

RANDOM = "random"
CONFIG_NAME = "open_clip_config.json"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")
# open_clip's preference when a folder holds several checkpoints (factory._find_checkpoint_in_dir)
_PREFERRED_WEIGHTS = (
    "open_clip_model.safetensors",
    "open_clip_pytorch_model.safetensors",
    "open_clip_pytorch_model.bin",
    "open_clip_pytorch_model.pth",
    "model.safetensors",
    "pytorch_model.bin",
    "pytorch_model.pth",
    "model.pth",
)


@dataclass(frozen=True)
class ResolvedModel:
    """What a spec means: which open_clip model to build, from which weights, which tokenizer."""

    spec: str = field(compare=False)  # as typed; two spellings of one model compare equal
    name: str  # ModelIdentity.name
    pretrained: str  # ModelIdentity.pretrained
    kind: str  # "tag" | "hf-hub" | "file" | "local-dir" | "random"
    model_name: str  # passed to open_clip.create_model (may carry a hf-hub:/local-dir: schema)
    weights: str | None = None  # tag for "tag"; absolute checkpoint path for "file"/"local-dir"
    tokenizer: str = "open_clip"  # "open_clip" or "bytes" (search.models.byte_tokenizer)
    context_length: int | None = None  # only needed for the byte tokenizer
    needs_hub: bool = False  # config, weights or tokenizer come from the Hugging Face Hub
    preset: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name}:{self.pretrained}"


def resolve(spec: str) -> ResolvedModel:
    """Parse ``spec`` (no weights loaded); ``UnknownModel`` with suggestions if it names nothing."""
    spec = spec.strip()
    if not spec:
        raise UnknownModel(f"empty model name; try {DEMO_MODEL!r} or one of: {', '.join(PRESETS)}")
    resolved = resolve_without_open_clip(spec)
    if resolved is not None:
        return resolved
    name, _, pretrained = spec.partition(":")
    preset = _match_preset(name)
    if preset is not None:
        if pretrained not in ("", RANDOM):
            raise UnknownModel(
                f"preset {preset!r} fixes its weights ({PRESETS[preset].spec}); "
                f"write that spec with another tag instead, or {preset}:random"
            )
        target = PRESETS[preset].spec
        if pretrained == RANDOM:
            target = f"{target.partition(':')[0]}:{RANDOM}"
        resolved = _resolve_arch(spec, *target.split(":", 1))
        return replace(resolved, preset=preset)
    return _resolve_arch(spec, name, pretrained)


def resolve_without_open_clip(spec: str) -> ResolvedModel | None:
    """``resolve(spec)`` for the specs that need only config files (the demo model, hf-hub:,
    local-dir: and model folders); None for architecture names and presets, whose resolution
    asks open_clip (and so imports torch)."""
    spec = spec.strip()
    if spec.startswith("hf-hub:"):
        return _resolve_hf_hub(spec)
    if spec.startswith("local-dir:"):
        return _resolve_local_dir(spec, Path(spec.removeprefix("local-dir:")))
    if spec and (Path(spec).expanduser() / CONFIG_NAME).is_file():  # a bare model folder
        return _resolve_local_dir(spec, Path(spec))
    name, _, pretrained = spec.partition(":")
    if _match_preset(name) == DEMO_MODEL:
        return _resolve_demo(spec, pretrained)
    return None


def _match_preset(name: str) -> str | None:
    lowered = name.lower()
    return next((p for p in PRESETS if p == lowered), None)


def _resolve_demo(spec: str, pretrained: str) -> ResolvedModel:
    folder = demo_model_dir()
    config = _read_config(folder, hint="set VIDSEEK_DEMO_MODEL_DIR to the demo model folder")
    tokenizer, context = _tokenizer_of(config)
    if pretrained == RANDOM:
        return ResolvedModel(
            spec, DEMO_MODEL, RANDOM, "random", f"local-dir:{folder}", None, tokenizer, context,
            preset=DEMO_MODEL,
        )  # fmt: skip
    if pretrained not in ("", DEMO_PRETRAINED):
        raise UnknownModel(
            f"{DEMO_MODEL!r} has one set of weights; use {DEMO_MODEL} "
            f"or {DEMO_MODEL}:random (random init, for tests)"
        )
    weights = find_checkpoint(folder)
    return ResolvedModel(
        spec, DEMO_MODEL, DEMO_PRETRAINED, "local-dir", f"local-dir:{folder}",
        str(weights) if weights else None, tokenizer, context, preset=DEMO_MODEL,
    )  # fmt: skip


def _resolve_local_dir(spec: str, folder: Path) -> ResolvedModel:
    folder = folder.expanduser().resolve()
    config = _read_config(folder, hint="a local-dir: model folder needs open_clip_config.json")
    tokenizer, context = _tokenizer_of(config)
    weights = find_checkpoint(folder)
    return ResolvedModel(
        spec, "local-dir", str(folder), "local-dir", f"local-dir:{folder}",
        str(weights) if weights else None, tokenizer, context, _config_needs_hub(config),
    )  # fmt: skip


def _resolve_hf_hub(spec: str) -> ResolvedModel:
    repo = spec.removeprefix("hf-hub:").strip("/")
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise UnknownModel(f"{spec!r}: expected hf-hub:ORG/REPO, e.g. hf-hub:timm/ViT-B-16-SigLIP")
    return ResolvedModel(spec, "hf-hub", repo, "hf-hub", f"hf-hub:{repo}", needs_hub=True)


def _resolve_arch(spec: str, name: str, pretrained: str) -> ResolvedModel:
    import open_clip

    arch = _match_arch(name, open_clip.list_models())
    if arch is None:
        candidates = [*PRESETS, *open_clip.list_models()]
        close = difflib.get_close_matches(name, candidates, n=5, cutoff=0.6)
        close += [c for c in candidates if name.lower() in c.lower() and c not in close][:5]
        hint = f"did you mean: {', '.join(close[:5])}? " if close else ""
        raise UnknownModel(
            f"unknown model {name!r}. {hint}Presets: {', '.join(PRESETS)}; "
            "`vidseek models list` shows them, open_clip.list_models() lists architectures"
        )
    tags = open_clip.list_pretrained_tags_by_model(arch)
    config = open_clip.get_model_config(arch) or {}
    needs_hub = _config_needs_hub(config)
    if not pretrained:
        some = ", ".join(f"{arch}:{t}" for t in tags[:4]) or "(no published tags)"
        raise UnknownModel(
            f"{arch!r} needs pretrained weights: pick a tag ({some}), "
            f"a local file ({arch}:/path/to/weights.safetensors), or {arch}:random"
        )
    if pretrained == RANDOM:
        return ResolvedModel(spec, arch, RANDOM, "random", arch, needs_hub=needs_hub)
    tag = next((t for t in tags if t == pretrained.lower().replace("-", "_")), None)
    if tag is not None:
        return ResolvedModel(spec, arch, tag, "tag", arch, tag, needs_hub=True)
    path = Path(pretrained).expanduser()
    if path.suffix in WEIGHT_SUFFIXES or "/" in pretrained or path.exists():
        full = str(path.resolve())
        return ResolvedModel(spec, arch, full, "file", arch, full, needs_hub=needs_hub)
    close = difflib.get_close_matches(pretrained, tags, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise UnknownModel(
        f"unknown pretrained tag {pretrained!r} for {arch}. {hint}"
        f"Known tags: {', '.join(tags) or 'none'}; or {arch}:random, or {arch}:/path/to/weights"
    )


def _match_arch(name: str, models: list[str]) -> str | None:
    cleaned = name.replace("/", "-")
    if cleaned in models:
        return cleaned
    return next((m for m in models if m.lower() == cleaned.lower()), None)


def _read_config(folder: Path, hint: str) -> dict[str, Any]:
    path = folder / CONFIG_NAME
    if not path.is_file():
        raise UnknownModel(f"no model at {folder}: {path.name} missing ({hint})")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UnknownModel(f"unreadable model config {path}: {exc}") from exc
    if "model_cfg" not in config:
        raise UnknownModel(f"model config {path} has no 'model_cfg' section")
    return config


def _tokenizer_of(config: dict[str, Any]) -> tuple[str, int | None]:
    if config.get("vidseek", {}).get("tokenizer") == "bytes":
        return "bytes", int(config["model_cfg"]["text_cfg"].get("context_length", 64))
    return "open_clip", None


def _config_needs_hub(config: dict[str, Any]) -> bool:
    text = config.get("model_cfg", config).get("text_cfg", {})
    return bool(text.get("hf_model_name") or text.get("hf_tokenizer_name"))


def find_checkpoint(folder: Path) -> Path | None:
    """The checkpoint open_clip would pick in ``folder`` (None when there is none)."""
    for name in _PREFERRED_WEIGHTS:
        if (folder / name).is_file():
            return folder / name
    found = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in WEIGHT_SUFFIXES)
    found.sort(key=lambda p: p.suffix != ".safetensors")
    return found[0] if found else None
