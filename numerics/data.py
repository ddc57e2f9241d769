r"""Data sets for noisy-GD training: scikit-learn's handwritten digits, and a synthetic sphere task.

Both return a :class:`Dataset` with inputs scaled so that :math:`\|x\|_2 \le 1` (the
paper's assumption), labels :math:`y \in \{-1, +1\}`, and a held-out split used for the
add-one neighbours.  The digits ship inside scikit-learn: nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from theory.checks import positive_int


@dataclass(frozen=True)
class Dataset:
    x_train: np.ndarray   # (n, d), rows of norm <= 1
    y_train: np.ndarray   # (n,), entries in {-1, +1}
    x_held: np.ndarray    # (h, d)
    y_held: np.ndarray    # (h,)
    name: str

    @property
    def n(self) -> int:
        return self.x_train.shape[0]

    @property
    def input_dim(self) -> int:
        return self.x_train.shape[1]


def _check_features(x: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what}: features contain NaN or infinite values")


def prepare(x, y, *, held_fraction: float = 0.2, seed: int = 0, name: str = "custom") -> Dataset:
    """Centre, scale to :math:`\\max_i\\|x_i\\| = 1`, split off a held-out part (stratified)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    _check_features(x, "data")
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"data: expected x of shape (n, d) and y of shape (n,), got {x.shape}, {y.shape}")
    if not set(np.unique(y)) <= {-1.0, 1.0}:
        raise ValueError("data: labels must be -1 or +1")
    if not 0 <= held_fraction < 1:
        raise ValueError(f"held_fraction: must be in [0, 1), got {held_fraction}")
    for label in (-1.0, 1.0):
        if np.sum(y == label) < 2:
            raise ValueError(f"classes: fewer than 2 examples of class {label:+.0f}")
    rng = np.random.default_rng(seed)
    held = np.zeros(len(y), dtype=bool)
    for label in (-1.0, 1.0):
        idx = rng.permutation(np.flatnonzero(y == label))
        held[idx[: int(round(held_fraction * len(idx)))]] = True
    x = x - x[~held].mean(axis=0)
    norms = np.linalg.norm(x, axis=1)
    x = x / max(float(norms.max()), 1e-300)
    return Dataset(x[~held], y[~held], x[held], y[held], name)


def digits(classes=(0, 1), *, held_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Two classes of scikit-learn's 8x8 digits (1797 images, 64 features); first class -> -1."""
    from sklearn.datasets import load_digits

    classes = tuple(classes)
    if len(classes) != 2 or classes[0] == classes[1]:
        raise ValueError(f"classes: need two different digits, got {classes}")
    X, y = load_digits(return_X_y=True)
    for c in classes:
        if c not in set(y.tolist()):
            raise ValueError(f"classes: digit {c!r} does not exist (choose from 0-9)")
    keep = np.isin(y, classes)
    return prepare(X[keep], np.where(y[keep] == classes[0], -1.0, 1.0), held_fraction=held_fraction,
                   seed=seed, name=f"digits {classes[0]} vs {classes[1]}")


def sphere(n: int = 64, input_dim: int = 8, *, width: int = 16, held_fraction: float = 0.2,
           seed: int = 0) -> Dataset:
    """Points uniform on the unit sphere, labelled by the sign of a random 2-layer ReLU teacher."""
    n = positive_int("n", n, minimum=4)
    input_dim = positive_int("input_dim", input_dim)
    kx, k1, k2 = jax.random.split(jax.random.key(seed), 3)
    x = np.array(jax.random.normal(kx, (n, input_dim), dtype=jnp.float64))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    W1 = np.asarray(jax.random.normal(k1, (width, input_dim), dtype=jnp.float64))
    w2 = np.asarray(jax.random.normal(k2, (width,), dtype=jnp.float64))
    score = np.maximum(x @ W1.T, 0.0) @ w2
    y = np.where(score > np.median(score), 1.0, -1.0)  # balanced classes
    ds = prepare(x, y, held_fraction=held_fraction, seed=seed, name="sphere")
    return ds
