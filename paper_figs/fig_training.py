r"""Figures 5-6: numerical KL privacy loss of noisy GD on digits, over epochs and against depth.

The authors' procedure (THEORY.md §5, :mod:`numerics.noisy_gd`): full network, logistic
loss, full-batch noisy GD, at every step the largest squared gradient difference over the
remove-one / add-one neighbours enters the per-step Gaussian KL, summed over steps; mean
and standard deviation over independent runs.  Figure 5 is their first observation (about
linear growth early, faster later), figure 6 their fourth (depth trend at a short and a long
training time).  Both figures draw from one cache of training runs, so a run shared by
the two configs is trained once per process
(:func:`validation.privacy_loss.privacy_loss_or_diverged`).

A configuration whose training diverges (a non-finite loss in any run) is not plotted and
not tuned away: its row in the CSV has ``status`` ``diverged: ...`` and empty numbers, and
the legend says so.  At ``--full`` (width 1024) every scheme diverges at :math:`\sigma = 0.1`:
the injected variance per weight, :math:`2\eta\sigma^2 k`, does not shrink with the width
and by step 45 is about nine times the hidden layers' initial :math:`\beta_l \approx 1/m`, so each layer
amplifies (:class:`numerics.noisy_gd.TrainingDiverged`; the same run at :math:`\sigma = 0.01`
trains normally).
"""

from __future__ import annotations

import numpy as np

from paper_figs.io import save_csv, save_figure
from paper_figs.registry import register
from paper_figs.style import SCHEME_COLOURS, SCHEME_LABELS, SCHEME_MARKERS, figure, integer_ticks, legend_below
from theory import SCHEME_NAMES
from validation.privacy_loss import privacy_loss_or_diverged


def _train(cfg, scheme, depth):
    """The KL curves of one configuration as arrays, or ``{"diverged": why}`` (cached per process)."""
    res = privacy_loss_or_diverged(scheme=scheme, depth=depth, width=cfg["width"], data="digits", model="full",
                                   loss="logistic", epochs=cfg["epochs"], lr=cfg["lr"], sigma=cfg["sigma"],
                                   runs=cfg["runs"], seed=cfg["seed"])
    if "diverged" in res:
        return res
    return {k: np.asarray(res[k]) for k in ("epoch", "kl_mean", "kl_std", "train_loss", "train_accuracy")}


_BASE = {"lr": 0.01, "sigma": 0.1, "seed": 0, "data": "digits 0 vs 1", "neighbours": "remove-add"}
_SIZES = {"tiny": {**_BASE, "width": 8, "depths": [2, 3], "epochs": 6, "short": 3, "runs": 2},
          "default": {**_BASE, "width": 128, "depths": [2, 4, 8, 12, 16], "epochs": 50, "short": 20, "runs": 4},
          "full": {**_BASE, "width": 1024, "depths": [2, 4, 6, 8, 10, 12, 14, 16], "epochs": 50, "short": 20,
                   "runs": 8}}


def _kl_epochs_config(size):
    cfg = {k: v for k, v in _SIZES[size].items() if k not in ("depths", "short")}
    return {**cfg, "depth": {"tiny": 3, "default": 8, "full": 10}[size]}


@register("kl_over_training", "Numerical KL privacy loss over training epochs",
          {size: _kl_epochs_config(size) for size in _SIZES})
def build_epochs(cfg, out, *, progress):
    rows = {"scheme": [], "epoch": [], "kl_mean": [], "kl_std": [], "kl_over_linear": [], "train_loss": [],
            "train_accuracy": [], "status": []}
    fig, axes = figure(ncols=2)
    ref = min(4, cfg["epochs"] - 1)  # epoch 5 (index 4): "early" reference for the growth rate
    for s in SCHEME_NAMES:
        r = _train(cfg, s, cfg["depth"])
        c = SCHEME_COLOURS[s]
        if "diverged" in r:
            for k in rows:
                rows[k].append(s if k == "scheme" else r["diverged"] if k == "status" else None)
            axes[0, 0].plot([], [], color=c, ls=":", label=f"{SCHEME_LABELS[s]} (diverged)")
            progress(1)
            continue
        e, mean, std = r["epoch"], r["kl_mean"], r["kl_std"]
        rel = (mean / e) / (mean[ref] / e[ref])   # 1 = linear growth at the early rate
        for k, v in (("epoch", e), ("kl_mean", mean), ("kl_std", std), ("kl_over_linear", rel),
                     ("train_loss", r["train_loss"]), ("train_accuracy", r["train_accuracy"])):
            rows[k] += [float(x) if k != "epoch" else int(x) for x in v]
        rows["scheme"] += [s] * len(e)
        rows["status"] += ["ok"] * len(e)
        axes[0, 0].plot(e, mean, color=c, label=SCHEME_LABELS[s])
        axes[0, 0].fill_between(e, np.maximum(mean - std, mean * 1e-3), mean + std, color=c, alpha=0.2, lw=0)
        axes[0, 1].plot(e, rel, color=c, marker=SCHEME_MARKERS[s], markevery=max(1, len(e) // 8))
        progress(1)
    axes[0, 0].set_yscale("log")
    axes[0, 0].set_xlabel("epoch (full-batch step)")
    axes[0, 0].set_ylabel("cumulative KL privacy loss")
    axes[0, 0].legend(frameon=False)
    axes[0, 1].axhline(1.0, color="0.4", lw=0.8, ls="--")
    axes[0, 1].set_xlabel("epoch")
    axes[0, 1].set_ylabel(rf"$(\mathrm{{KL}}_t/t)\,/\,(\mathrm{{KL}}_{{{ref + 1}}}/{ref + 1})$")
    axes[0, 1].set_title("1 = linear growth", fontsize=7)
    fig.suptitle(rf"full ReLU net, $L={cfg['depth']}$, $m={cfg['width']}$, $\eta={cfg['lr']}$, "
                 rf"$\sigma={cfg['sigma']}$, {cfg['runs']} runs (mean $\pm$ sd)", fontsize=7)
    fig.tight_layout()
    csv = save_csv(out / "kl_over_training.csv", rows)
    return [csv] + save_figure(fig, out / "kl_over_training")


@register("kl_vs_depth", "Numerical KL privacy loss against depth at a short and a long training time",
          {size: dict(cfg) for size, cfg in _SIZES.items()})
def build_depth(cfg, out, *, progress):
    rows = {"scheme": [], "depth": [], "epoch": [], "kl_mean": [], "kl_std": [], "status": []}
    fig, axes = figure(ncols=2)
    times = (cfg["short"], cfg["epochs"])
    for s in SCHEME_NAMES:
        curves = {L: _train(cfg, s, L) for L in cfg["depths"]}
        ok = [L for L in cfg["depths"] if "diverged" not in curves[L]]
        bad = [L for L in cfg["depths"] if L not in ok]
        label = SCHEME_LABELS[s] + (f" (diverged at $L\\in\\{{{','.join(map(str, bad))}\\}}$)" if bad else "")
        for ax, t in zip(axes[0], times):
            mean = np.array([curves[L]["kl_mean"][t - 1] for L in ok])
            std = np.array([curves[L]["kl_std"][t - 1] for L in ok])
            ax.errorbar(ok, mean, yerr=std, color=SCHEME_COLOURS[s], marker=SCHEME_MARKERS[s],
                        capsize=1.5, label=label)
            for k, v in (("scheme", [s] * len(ok)), ("depth", ok), ("epoch", [t] * len(ok)),
                         ("kl_mean", mean.tolist()), ("kl_std", std.tolist()), ("status", ["ok"] * len(ok))):
                rows[k] += list(v)
            for L in bad:
                for k, v in (("scheme", s), ("depth", L), ("epoch", t), ("kl_mean", None), ("kl_std", None),
                             ("status", curves[L]["diverged"])):
                    rows[k].append(v)
        progress(1)
    for ax, t in zip(axes[0], times):
        ax.set_yscale("log")
        ax.set_xlabel(r"depth $L$")
        integer_ticks(ax)
        ax.set_title(f"after {t} epochs")
    axes[0, 0].set_ylabel("cumulative KL privacy loss")
    fig.suptitle(rf"full ReLU net, $m={cfg['width']}$, $\eta={cfg['lr']}$, $\sigma={cfg['sigma']}$, "
                 rf"{cfg['runs']} runs (mean $\pm$ sd)", fontsize=7)
    legend_below(fig, axes[0, 0])
    csv = save_csv(out / "kl_vs_depth.csv", rows)
    return [csv] + save_figure(fig, out / "kl_vs_depth")
