r"""The numerical KL privacy loss over training, next to the closed-form bound of :mod:`theory`.

``bound`` (linearised model, logistic loss, :math:`G = 1`): :math:`T G^2 B/(\sigma^2 n^2)`
with :math:`B = \sup_{\|x\|\le 1}\mathbb E\|\nabla_W f(x;W_0)\|^2` the exact closed
form at :math:`r = 1`; for ``remove-add`` neighbours the removal case dominates and
:func:`theory.privacy.linearized_kl_bound` is taken with ``neighbours="add-remove"``
on the :math:`n-1` records that remain.  No bound for the full model or the squared
loss (its derivative is unbounded), reported as ``None``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from numerics.data import digits, sphere
from numerics.noisy_gd import TrainingDiverged, TrainingRun, train
from theory import Network, gradient_norm_profile
from theory.privacy import linearized_kl_bound


def load_data(name: str, *, classes=(0, 1), seed: int = 0):
    if name == "digits":
        return digits(classes, seed=seed)
    if name == "sphere":
        return sphere(seed=seed)
    raise ValueError(f"data: unknown data set {name!r}; choose from digits, sphere")


def closed_form_bound(run: TrainingRun, n: int, times) -> list | None:
    if run.model != "linearized" or run.loss != "logistic":
        return None
    B = gradient_norm_profile(run.network, run.scheme, x_norm=1.0).total
    if run.neighbours == "replace":
        vals = linearized_kl_bound(T=times, G=1.0, B=B, sigma=run.sigma, n=n, noise=run.noise)
    else:
        vals = linearized_kl_bound(T=times, G=1.0, B=B, sigma=run.sigma, n=n - 1, noise=run.noise,
                                   neighbours="add-remove")
    return [float(v) for v in np.atleast_1d(vals)]


def privacy_loss(*, scheme: str, depth: int, width: int, data: str = "digits", classes=(0, 1),
                 model: str = "linearized", loss: str = "logistic", epochs: int = 50, lr: float = 0.01,
                 sigma: float = 0.1, runs: int = 4, neighbours: str = "remove-add", noise: str = "sqrt2",
                 seed: int = 0) -> dict:
    """Train and summarise: cumulative KL mean and spread after each epoch, and the bound."""
    ds = load_data(data, classes=classes, seed=seed)
    net = Network.uniform(depth=depth, width=width, input_dim=ds.input_dim)
    run = TrainingRun(net, scheme, model=model, loss=loss, lr=lr, sigma=sigma, steps=epochs, runs=runs,
                      noise=noise, neighbours=neighbours, seed=seed)
    res = train(run, ds)
    kl = res.kl_cumulative
    times = lr * np.arange(1, epochs + 1)
    return {
        "epoch": list(range(1, epochs + 1)),
        "kl_mean": kl.mean(axis=0).tolist(),
        "kl_std": (kl.std(axis=0, ddof=1) if runs > 1 else np.zeros(epochs)).tolist(),
        "bound": closed_form_bound(run, ds.n, times),
        "train_loss": res.loss.mean(axis=0).tolist(),
        "train_accuracy": res.accuracy.mean(axis=0).tolist(),
        "config": {"init": scheme, "depth": depth, "width": width, "data": ds.name, "n": ds.n,
                   "held_out": int(ds.x_held.shape[0]), "model": model, "loss": loss, "epochs": epochs,
                   "lr": lr, "sigma": sigma, "runs": runs, "neighbours": neighbours, "noise": noise,
                   "seed": seed, "steps_per_epoch": 1},
    }


@lru_cache(maxsize=256)
def privacy_loss_or_diverged(**kwargs) -> dict:
    """:func:`privacy_loss`, or ``{"diverged": why}`` when the training diverges; cached per process.

    For callers that record a diverged configuration instead of stopping (the observations of
    ``validate``, figures 5-6): a run shared by several of them is trained once.  Keyword
    arguments only (hashable values), as for :func:`privacy_loss`.
    """
    try:
        return privacy_loss(**kwargs)
    except TrainingDiverged as exc:
        return {"diverged": f"diverged: {exc.runs} of {exc.total} runs, first at step {exc.step}",
                "message": str(exc)}
