"""Figure 3: how the expected squared gradient norm is spread over the layers, per scheme (closed form)."""

from __future__ import annotations

import numpy as np

from paper_figs.io import save_csv, save_figure
from paper_figs.registry import register
from paper_figs.style import SCHEME_COLOURS, SCHEME_LABELS, SCHEME_MARKERS, figure
from theory import SCHEME_NAMES, Network, gradient_norm_profile


@register("layer_share", "Per-layer share of the expected squared gradient norm", {
    "tiny": {"depth": 4, "width": 16, "input_dim": 64, "seed": None},
    "default": {"depth": 10, "width": 1024, "input_dim": 64, "seed": None},
    "full": {"depth": 20, "width": 4096, "input_dim": 64, "seed": None},
})
def build(cfg, out, *, progress):
    net = Network.uniform(depth=cfg["depth"], width=cfg["width"], input_dim=cfg["input_dim"])
    rows = {"scheme": [], "layer": [], "share": []}
    fig, axes = figure()
    ax = axes[0, 0]
    for s in SCHEME_NAMES:
        share = gradient_norm_profile(net, s).shares
        rows["scheme"] += [s] * net.depth
        rows["layer"] += list(range(1, net.depth + 1))
        rows["share"] += [float(v) for v in share]
        ax.plot(np.arange(1, net.depth + 1), share, marker=SCHEME_MARKERS[s], color=SCHEME_COLOURS[s],
                label=SCHEME_LABELS[s])
        progress(1)
    ax.set_xlabel(r"layer $l$")
    ax.set_ylabel(r"$\mathbb{E}\|\partial f/\partial W_l\|^2 \,/\, \mathbb{E}\|\nabla_W f\|^2$")
    ax.set_title(rf"$L={cfg['depth']}$, $m={cfg['width']}$, $d={cfg['input_dim']}$")
    ax.legend(frameon=False)
    csv = save_csv(out / "layer_share.csv", rows)
    return [csv] + save_figure(fig, out / "layer_share")
