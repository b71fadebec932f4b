"""Assets the project ships: the bundled ``vidseek-demo`` CLIP model."""

from pathlib import Path


def models_dir() -> Path:
    """Folder holding the bundled models, one subfolder each."""
    return Path(__file__).resolve().parent / "models"
