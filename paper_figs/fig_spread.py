r"""Figure 9: relative spread of :math:`S = \|\nabla_W f(x; W_0)\|^2` at finite width.

Monte Carlo only (:func:`numerics.estimate.estimate_grad_norm`, the exact samplers): the
standard deviation over the mean, :math:`\mathrm{sd}(S)/\mathbb E S`, against depth at a
fixed width and against width at a fixed depth.  The mean is exact (THEORY.md §2); the
spread is what decides how far one network at initialisation is from it.  Each point is
the mean of ``batches`` independent estimates, with their standard error as the bar.
LeCun and He coincide: :math:`S` differs between them by the constant factor
:math:`2^{L-1}`, which cancels in the ratio.
"""

from __future__ import annotations

import numpy as np

from numerics.estimate import estimate_grad_norm
from paper_figs.io import save_csv, save_figure
from paper_figs.registry import register
from paper_figs.style import SCHEME_COLOURS, SCHEME_LABELS, SCHEME_MARKERS, figure, integer_ticks
from theory import SCHEME_NAMES, Network


def spread(net, scheme, *, samples, batches, seed):
    """Mean and standard error of ``batches`` independent estimates of sd(S)/E S."""
    vals = np.array([estimate_grad_norm(net, scheme, samples=samples // batches, seed=seed + b).rel_std
                     for b in range(batches)])
    return float(vals.mean()), float(vals.std(ddof=1) / np.sqrt(batches))


_BASE = {"input_dim": 64, "seed": 0, "batches": 8}


@register("grad_norm_spread", "Relative spread of the squared gradient norm at finite width", {
    "tiny": {**_BASE, "width": 8, "depths": [2, 3], "depth": 3, "widths": [8], "samples": 800, "batches": 4},
    "default": {**_BASE, "width": 64, "depths": [2, 4, 8, 16, 32], "depth": 8, "widths": [8, 32, 128, 512],
                "samples": 40_000},
    "full": {**_BASE, "width": 256, "depths": [2, 4, 8, 16, 32, 64, 128], "depth": 16,
             "widths": [2**k for k in range(3, 13)], "samples": 400_000},
})
def build(cfg, out, *, progress):
    rows = {"scheme": [], "vary": [], "depth": [], "width": [], "rel_std": [], "rel_std_se": [], "samples": []}
    fig, axes = figure(ncols=2)
    for s in SCHEME_NAMES:
        for ax, vary, values in ((axes[0, 0], "depth", cfg["depths"]), (axes[0, 1], "width", cfg["widths"])):
            pts = []
            for v in values:
                L, m = (v, cfg["width"]) if vary == "depth" else (cfg["depth"], v)
                net = Network.uniform(depth=L, width=m, input_dim=cfg["input_dim"])
                mean, se = spread(net, s, samples=cfg["samples"], batches=cfg["batches"], seed=cfg["seed"])
                pts.append((mean, se))
                for k, x in (("scheme", s), ("vary", vary), ("depth", L), ("width", m), ("rel_std", mean),
                             ("rel_std_se", se), ("samples", cfg["samples"])):
                    rows[k].append(x)
                progress(1)
            mean, se = np.array(pts).T
            ax.errorbar(values, mean, yerr=1.96 * se, color=SCHEME_COLOURS[s], marker=SCHEME_MARKERS[s],
                        capsize=1.5, label=SCHEME_LABELS[s], ls="--" if s == "he" else "-")
    axes[0, 0].set_xlabel(r"depth $L$")
    integer_ticks(axes[0, 0])
    axes[0, 0].set_title(rf"$m={cfg['width']}$", fontsize=7)
    axes[0, 1].set_xlabel(r"hidden width $m$")
    axes[0, 1].set_xscale("log", base=2)
    axes[0, 1].set_title(rf"$L={cfg['depth']}$", fontsize=7)
    for ax in axes[0]:
        ax.set_yscale("log")
    axes[0, 0].set_ylabel(r"$\mathrm{sd}(S)\,/\,\mathbb{E}S$,  $S=\|\nabla_W f(x;W_0)\|^2$")
    axes[0, 0].legend(frameon=False)
    fig.suptitle(rf"Monte Carlo, $d={cfg['input_dim']}$, ReLU, {cfg['samples']} samples per point "
                 r"(LeCun = He exactly)", fontsize=7)
    fig.tight_layout()
    csv = save_csv(out / "grad_norm_spread.csv", rows)
    return [csv] + save_figure(fig, out / "grad_norm_spread")
