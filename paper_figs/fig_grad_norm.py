"""Figures 1-2: expected squared gradient norm at initialisation against depth and width.

Closed-form lines from :mod:`theory` (log space); Monte-Carlo points with 95%
intervals from :mod:`numerics` where the config asks for samples.
"""

from __future__ import annotations

import numpy as np

from numerics.estimate import estimate_grad_norm
from paper_figs.io import save_csv, save_figure
from paper_figs.registry import register
from paper_figs.style import SCHEME_COLOURS, SCHEME_LABELS, SCHEME_MARKERS, figure
from theory import SCHEME_NAMES, Network, log_expected_sq_grad_norm


def _curve(cfg, vary, values, progress):
    rows = {"scheme": [], vary: [], "theory": [], "log_theory": [], "mc_estimate": [],
            "mc_ci_lo": [], "mc_ci_hi": []}
    mc_values = set(cfg.get("mc_" + vary + "s", []))
    for scheme in SCHEME_NAMES:
        for v in values:
            kw = dict(depth=cfg["depth"], width=cfg["width"], input_dim=cfg["input_dim"])
            kw[vary] = int(v)
            net = Network.uniform(**kw)
            lg = log_expected_sq_grad_norm(net, scheme)
            rows["scheme"].append(scheme)
            rows[vary].append(int(v))
            rows["log_theory"].append(lg)
            rows["theory"].append(float(np.exp(lg)) if lg < 700 else None)
            if int(v) in mc_values and cfg.get("samples", 0) > 0:
                est = estimate_grad_norm(net, scheme, samples=cfg["samples"], seed=cfg["seed"])
                rows["mc_estimate"].append(est.estimate)
                rows["mc_ci_lo"].append(est.ci95[0])
                rows["mc_ci_hi"].append(est.ci95[1])
            else:
                for k in ("mc_estimate", "mc_ci_lo", "mc_ci_hi"):
                    rows[k].append(None)
            progress(1)
    return rows


def _plot(rows, vary, xlabel, stem, title):
    fig, axes = figure()
    ax = axes[0, 0]
    for scheme in SCHEME_NAMES:
        idx = [i for i, s in enumerate(rows["scheme"]) if s == scheme]
        x = np.array([rows[vary][i] for i in idx])
        y = np.exp([rows["log_theory"][i] for i in idx])
        ax.plot(x, y, color=SCHEME_COLOURS[scheme], label=SCHEME_LABELS[scheme])
        mc = [i for i in idx if rows["mc_estimate"][i] is not None]
        if mc:
            est = np.array([rows["mc_estimate"][i] for i in mc])
            lo = np.array([rows["mc_ci_lo"][i] for i in mc])
            hi = np.array([rows["mc_ci_hi"][i] for i in mc])
            ax.errorbar([rows[vary][i] for i in mc], est, yerr=[est - lo, hi - est], fmt=SCHEME_MARKERS[scheme],
                        color=SCHEME_COLOURS[scheme], mfc="none", capsize=1.5, lw=0.8)
    ax.set_yscale("log")
    if vary == "width":
        ax.set_xscale("log", base=2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(r"$\mathbb{E}\,\|\nabla_W f(x;W_0)\|^2$")
    ax.set_title(title)
    ax.legend(frameon=False, ncol=2)
    return save_figure(fig, stem)


_BASE = {"input_dim": 64, "seed": 0}


@register("grad_norm_vs_depth", "Expected squared gradient norm against depth", {
    "tiny": {**_BASE, "width": 16, "depth": 2, "depths": [1, 2, 3, 4], "mc_depths": [2], "samples": 2000},
    "default": {**_BASE, "width": 256, "depth": 2, "depths": list(range(1, 33)),
                "mc_depths": [2, 4, 8, 16, 32], "samples": 20000},
    "full": {**_BASE, "width": 4096, "depth": 2, "depths": list(range(1, 65)),
             "mc_depths": [2, 4, 8, 16, 32, 64], "samples": 200000},
})
def build_depth(cfg, out, *, progress):
    rows = _curve(cfg, "depth", cfg["depths"], progress)
    csv = save_csv(out / "grad_norm_vs_depth.csv", rows)
    return [csv] + _plot(rows, "depth", r"depth $L$", out / "grad_norm_vs_depth",
                         rf"$m={cfg['width']}$, $d={cfg['input_dim']}$, ReLU")


@register("grad_norm_vs_width", "Expected squared gradient norm against width", {
    "tiny": {**_BASE, "depth": 3, "width": 8, "widths": [4, 8, 16], "mc_widths": [8], "samples": 2000},
    "default": {**_BASE, "depth": 8, "width": 64, "widths": [2**k for k in range(3, 13)],
                "mc_widths": [64, 256, 1024], "samples": 20000},
    "full": {**_BASE, "depth": 8, "width": 64, "widths": [2**k for k in range(3, 17)],
             "mc_widths": [64, 256, 1024, 4096], "samples": 200000},
})
def build_width(cfg, out, *, progress):
    rows = _curve(cfg, "width", cfg["widths"], progress)
    csv = save_csv(out / "grad_norm_vs_width.csv", rows)
    return [csv] + _plot(rows, "width", r"hidden width $m$", out / "grad_norm_vs_width",
                         rf"$L={cfg['depth']}$, $d={cfg['input_dim']}$, ReLU")
