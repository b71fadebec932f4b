"""The Fréchet CLIP distance formula against known values."""

import numpy as np
import pytest

from vidseek.evaluation.frechet import frechet_distance, frechet_of_features, gaussian_fit


def test_identical_sets_are_at_distance_zero():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(400, 16))
    assert frechet_of_features(features, features.copy()) == pytest.approx(0.0, abs=1e-8)


def test_shifted_mean_same_covariance_is_the_squared_shift():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(300, 8)) @ rng.normal(size=(8, 8))
    shift = np.arange(8, dtype=np.float64) / 4
    expected = float(shift @ shift)  # the covariances are equal: the trace term is 0
    assert frechet_of_features(a, a + shift) == pytest.approx(expected, rel=1e-9)


def test_closed_form_for_two_gaussians():
    rng = np.random.default_rng(2)
    dim = 6
    q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    cov_a = q @ np.diag([1.0, 2.0, 0.5, 3.0, 0.1, 1.5]) @ q.T  # commutes with cov_b
    cov_b = q @ np.diag([4.0, 0.5, 0.5, 1.0, 0.9, 2.5]) @ q.T
    mu_a, mu_b = np.zeros(dim), np.full(dim, 0.5)
    da = np.array([1.0, 2.0, 0.5, 3.0, 0.1, 1.5])
    db = np.array([4.0, 0.5, 0.5, 1.0, 0.9, 2.5])
    closed = float(np.sum((mu_a - mu_b) ** 2) + np.sum((np.sqrt(da) - np.sqrt(db)) ** 2))
    assert frechet_distance(mu_a, cov_a, mu_b, cov_b) == pytest.approx(closed, rel=1e-9)


def test_non_commuting_covariances_match_the_matrix_square_root():
    rng = np.random.default_rng(3)
    m_a, m_b = rng.normal(size=(5, 5)), rng.normal(size=(5, 5))
    cov_a, cov_b = m_a @ m_a.T, m_b @ m_b.T
    vals, vecs = np.linalg.eig(cov_a @ cov_b)  # real positive spectrum: cov_a cov_b ~ PSD
    trace_root = float(np.sum(np.sqrt(vals.real)))
    closed = float(np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root)
    assert frechet_distance(np.zeros(5), cov_a, np.zeros(5), cov_b) == pytest.approx(closed)


def test_samples_of_a_shifted_gaussian_approach_the_closed_form():
    rng = np.random.default_rng(4)
    n, dim = 200_000, 4
    a = rng.normal(size=(n, dim))
    b = rng.normal(size=(n, dim)) * 2.0 + 1.0  # N(1, 4 I)
    closed = dim * 1.0 + dim * (1.0 - 2.0) ** 2  # ||mu||^2 + Tr(I + 4I - 2*2I)
    assert frechet_of_features(a, b) == pytest.approx(closed, rel=0.02)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        gaussian_fit(np.zeros((1, 3)))
    with pytest.raises(ValueError):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
