"""Figure 4: the linearised-network KL bound over (depth, width) per scheme, with where depth helps.

The bound is :func:`theory.privacy.linearized_kl_bound` with :math:`B` from the exact
closed form; the hatched cells are where adding a layer lowers :math:`B`
(:func:`theory.depth_trend` region).
"""

from __future__ import annotations

import numpy as np

from paper_figs.io import save_csv, save_figure
from paper_figs.registry import register
from paper_figs.style import SCHEME_LABELS, figure
from theory import SCHEME_NAMES, Network, depth_trend, log_expected_sq_grad_norm
from theory.privacy import linearized_kl_bound


@register("kl_bound_map", "Linearised KL bound over depth and width", {
    "tiny": {"depths": [1, 2, 3], "widths": [8, 64, 512], "input_dim": 64, "T": 0.5, "sigma": 0.1, "n": 288,
             "seed": None},
    "default": {"depths": list(range(1, 17)), "widths": [2**k for k in range(2, 13)], "input_dim": 64,
                "T": 0.5, "sigma": 0.1, "n": 288, "seed": None},
    "full": {"depths": list(range(1, 33)), "widths": [2**k for k in range(2, 15)], "input_dim": 64,
             "T": 0.5, "sigma": 0.1, "n": 288, "seed": None},
})
def build(cfg, out, *, progress):
    rows = {"scheme": [], "depth": [], "width": [], "log10_kl_bound": [], "depth_helps": []}
    fig, axes = figure(ncols=2, nrows=2, width_scale=1.0)
    D, Wd = cfg["depths"], cfg["widths"]
    for ax, s in zip(axes.ravel(), SCHEME_NAMES):
        trend = depth_trend(s)
        Z = np.empty((len(D), len(Wd)))
        H = np.zeros_like(Z, dtype=bool)
        for i, L in enumerate(D):
            for j, m in enumerate(Wd):
                net = Network.uniform(depth=L, width=m, input_dim=cfg["input_dim"])
                logB = log_expected_sq_grad_norm(net, s)
                # KL bound is linear in B: evaluate at B = 1 and add log B (no overflow)
                unit = linearized_kl_bound(T=cfg["T"], G=1.0, B=1.0, sigma=cfg["sigma"], n=cfg["n"])
                Z[i, j] = (np.log(unit) + logB) / np.log(10)
                H[i, j] = trend.depth_helps(depth=L, width=m, input_dim=cfg["input_dim"])
                for k, v in (("scheme", s), ("depth", L), ("width", m), ("log10_kl_bound", float(Z[i, j])),
                             ("depth_helps", int(H[i, j]))):
                    rows[k].append(v)
        im = ax.pcolormesh(np.arange(len(Wd) + 1), np.arange(len(D) + 1), Z, cmap="viridis", shading="flat")
        ax.contourf(np.arange(len(Wd)) + 0.5, np.arange(len(D)) + 0.5, H.astype(float), levels=[0.5, 1.5],
                    hatches=["///"], colors="none")
        ax.set_xticks(np.arange(len(Wd))[::3] + 0.5, [str(w) for w in Wd][::3])
        ax.set_yticks(np.arange(len(D))[::3] + 0.5, [str(L) for L in D][::3])
        ax.set_title(SCHEME_LABELS[s])
        ax.set_xlabel(r"width $m$")
        ax.set_ylabel(r"depth $L$")
        fig.colorbar(im, ax=ax, label=r"$\log_{10}$ KL bound")
        progress(1)
    fig.suptitle(rf"$T={cfg['T']}$, $\sigma={cfg['sigma']}$, $n={cfg['n']}$, $d={cfg['input_dim']}$; "
                 r"hatched: adding a layer lowers $B$", fontsize=7)
    fig.tight_layout()
    csv = save_csv(out / "kl_bound_map.csv", rows)
    return [csv] + save_figure(fig, out / "kl_bound_map")
