r"""Figure 8: the best excess-risk bound under a fixed KL budget against depth, four schemes.

Linearised network on digits 0 vs 1, logistic loss (:math:`G = 1`), KL budget
:math:`\varepsilon` with ``replace`` neighbours.  At the optimal :math:`(T^*, \sigma^*)` of
:func:`theory.utility.optimal_tradeoff` the excess bound is
:math:`G R\sqrt{2 r_S B/\varepsilon}/n`, with :math:`B` the closed form and :math:`R, r_S`
measured on the network's own gradient span (:mod:`validation.utility_checks`).  Left: against
the least-norm comparator reaching a fixed training loss; right: the best guarantee on the
training loss itself, :math:`\min_{\tilde u}\mathcal L(\tilde u) + \text{excess}^*`.  Points:
noisy GD run at :math:`(T^*, \sigma^*)` (mean :math:`\pm` 1.96 se over runs).
"""

from __future__ import annotations

import numpy as np

from paper_figs.io import save_csv, save_figure
from paper_figs.registry import register
from paper_figs.style import SCHEME_COLOURS, SCHEME_LABELS, SCHEME_MARKERS, figure, integer_ticks, legend_below
from theory import SCHEME_NAMES, gradient_norm_profile
from validation.utility_checks import UTILITY_CONFIG, problems, tradeoff_point

_BASE = {k: UTILITY_CONFIG[k] for k in ("seed", "eps", "target_loss", "tradeoff_lr", "tradeoff_min_steps",
                                        "tradeoff_max_steps")}


@register("utility_vs_depth", "Best excess-risk bound under a fixed KL budget against depth", {
    "tiny": {**_BASE, "width": 8, "depths": [2, 3], "runs": 4, "tradeoff_max_steps": 200},
    "default": {**_BASE, "width": 128, "depths": [2, 4, 6, 8, 12, 16], "runs": 16},
    "full": {**_BASE, "width": 1024, "depths": [2, 4, 6, 8, 10, 12, 14, 16], "runs": 64},
})
def build(cfg, out, *, progress):
    cols = ["scheme", "depth", "B", "rank", "n"]
    per = ["R", "comparator_loss", "excess_bound", "loss_bound", "T_opt", "sigma_opt", "measured_excess",
           "measured_excess_se", "measured_loss"]
    rows = {k: [] for k in cols + [f"{w}_{k}" for w in ("target", "best") for k in per]}
    for s, L, net, prob, key in problems(cfg):
        B = gradient_norm_profile(net, s, x_norm=1.0).total
        pt = tradeoff_point(prob, B=B, cfg=cfg, key=key)
        for k, v in (("scheme", s), ("depth", L), ("B", B), ("rank", prob.rank), ("n", prob.n)):
            rows[k].append(v)
        for w in ("target", "best"):
            for k in per:
                rows[f"{w}_{k}"].append(pt[w][k])
        progress(1)
    fig, axes = figure(ncols=2)
    scheme = np.array(rows["scheme"])
    for s in SCHEME_NAMES:
        i = np.flatnonzero(scheme == s)
        d = np.array(rows["depth"])[i]
        kw = dict(color=SCHEME_COLOURS[s])
        for ax, w, bound, meas in ((axes[0, 0], "target", "excess_bound", "measured_excess"),
                                   (axes[0, 1], "best", "loss_bound", "measured_loss")):
            ax.plot(d, np.array(rows[f"{w}_{bound}"])[i], label=SCHEME_LABELS[s], **kw)
            m = np.array(rows[f"{w}_{meas}"])[i]
            se = np.array(rows[f"{w}_measured_excess_se"])[i]
            ax.errorbar(d, m, yerr=1.96 * se, fmt=SCHEME_MARKERS[s], mfc="none", capsize=1.5, lw=0.8, **kw)
    axes[0, 0].set_yscale("log")
    axes[0, 0].set_title(rf"vs. comparator with loss {cfg['target_loss']:.3f}", fontsize=7)
    axes[0, 0].set_ylabel("excess empirical risk")
    axes[0, 1].set_title(r"best guarantee $\min_{\tilde u}\mathcal{L}(\tilde u)+$excess", fontsize=7)
    axes[0, 1].set_ylabel("training loss")
    for ax in axes[0]:
        ax.set_xlabel(r"depth $L$")
        integer_ticks(ax)
    fig.suptitle(rf"linearised net, $m={cfg['width']}$, KL budget $\varepsilon={cfg['eps']}$; "
                 r"lines: bound at $(T^*,\sigma^*)$, points: noisy GD there", fontsize=7)
    legend_below(fig, axes[0, 0])
    csv = save_csv(out / "utility_vs_depth.csv", rows)
    return [csv] + save_figure(fig, out / "utility_vs_depth")
