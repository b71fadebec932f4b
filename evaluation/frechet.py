"""The Fréchet distance between the CLIP-feature distributions of two sets of videos.

The FVD idea (Unterthiner et al. 2018) with CLIP image features in place of I3D features, so
it is reported as ``frechet_clip_distance``, never as FVD. Definition (docs/EVAL.md):

- every video of a folder is sampled at ``fps`` (default 1) by the indexing decoder and each
  sampled frame embedded with the model's image tower (unit vectors): one feature per frame;
- each folder's features are fitted with a Gaussian: mean ``mu`` and covariance ``S``
  (unbiased, ``n - 1``);
- ``d = ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))``, the squared 2-Wasserstein
  distance between the two Gaussians.

``Tr((S_a S_b)^(1/2))`` is computed as the sum of the square roots of the eigenvalues of the
symmetric ``S_a^(1/2) S_b S_a^(1/2)`` (same spectrum as ``S_a S_b``), so no complex matrix
square root and no scipy are needed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vidseek.core.types import Encoder

METRIC = "frechet_clip_distance"


def gaussian_fit(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and unbiased covariance of the rows of ``features`` (at least two rows)."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"need at least two feature rows, got shape {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(
    mu_a: np.ndarray, cov_a: np.ndarray, mu_b: np.ndarray, cov_b: np.ndarray
) -> float:
    """``||mu_a - mu_b||^2 + Tr(cov_a + cov_b - 2 (cov_a cov_b)^(1/2))`` (never below 0)."""
    mu_a, mu_b = np.asarray(mu_a, np.float64), np.asarray(mu_b, np.float64)
    cov_a, cov_b = np.atleast_2d(cov_a).astype(np.float64), np.atleast_2d(cov_b).astype(np.float64)
    if mu_a.shape != mu_b.shape or cov_a.shape != cov_b.shape:
        raise ValueError("the two distributions have different dimensions")
    root_a = _psd_sqrt(cov_a)
    middle = root_a @ cov_b @ root_a
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_root = float(np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None))))
    diff = mu_a - mu_b
    value = float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_root)
    return max(value, 0.0)


def frechet_of_features(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """The Fréchet distance between Gaussians fitted to two sets of feature rows."""
    return frechet_distance(*gaussian_fit(features_a), *gaussian_fit(features_b))


def folder_features(folder: Path, encoder: Encoder, *, fps: float) -> tuple[np.ndarray, int]:
    """Every sampled frame's image vector for the videos under ``folder``, and how many videos."""
    from vidseek.evaluation.clipsim import frame_features
    from vidseek.indexer.decode import default_decoder

    videos = video_files(folder)
    if not videos:
        raise ValueError(f"no video files under {folder}")
    with default_decoder() as decoder:
        rows = [frame_features(p, encoder, fps=fps, decoder=decoder).vectors for p in videos]
    return np.concatenate(rows), len(videos)


def video_files(folder: Path) -> list[Path]:
    """The video files under ``folder`` (recursive, sorted), as indexing would find them."""
    from vidseek.indexer.discover import is_video_name

    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ValueError(f"not a folder: {folder}")
    return sorted(p for p in folder.rglob("*") if p.is_file() and is_video_name(p))


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    eigenvalues, eigenvectors = np.linalg.eigh((matrix + matrix.T) / 2)
    roots = np.sqrt(np.clip(eigenvalues, 0.0, None))
    return (eigenvectors * roots) @ eigenvectors.T
