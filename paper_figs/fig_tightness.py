"""Figure 7: tightness in the Gaussian case: exact final-iterate KL, trajectory KL and the pathwise bound
against training time (linearised network, squared loss, replace-one; :mod:`numerics.exact_kl`)."""

from __future__ import annotations

from paper_figs.io import save_csv, save_figure
from paper_figs.registry import register
from paper_figs.style import EXTRA_COLOURS, figure
from validation.privacy_checks import chain_case


@register("tightness", "Exact final-iterate KL, trajectory KL and bound (Gaussian case)", {
    "tiny": {"seed": 0, "n": 16, "depth": 2, "width": 8, "scheme": "he", "sigma": 0.3, "times": [0.1, 0.5]},
    "default": {"seed": 0, "n": 30, "depth": 3, "width": 16, "scheme": "he", "sigma": 0.3,
                "times": [0.1, 0.2, 0.5, 1, 2, 5, 10, 20]},
    "full": {"seed": 0, "n": 30, "depth": 3, "width": 64, "scheme": "he", "sigma": 0.3,
             "times": [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50]},
})
def build(cfg, out, *, progress):
    rows = {"T": [], "final_kl": [], "trajectory_kl": [], "pathwise_bound": [], "lipschitz_initial_bound": []}
    for T in cfg["times"]:
        r = chain_case(cfg["seed"], cfg["n"], cfg["depth"], cfg["width"], cfg["scheme"], float(T), cfg["sigma"])
        for k in rows:
            rows[k].append(float(T) if k == "T" else r[k])
        progress(1)
    fig, axes = figure()
    ax = axes[0, 0]
    labels = {"final_kl": "final-iterate KL (exact)", "trajectory_kl": "trajectory KL (exact)",
              "pathwise_bound": "pathwise bound", "lipschitz_initial_bound": "initial-residual bound (invalid)"}
    for (k, lab), c, ls in zip(labels.items(), EXTRA_COLOURS, ["-", "-", "--", ":"]):
        ax.plot(rows["T"], rows[k], ls, marker="o", color=c, label=lab)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"training time $T = K\eta$")
    ax.set_ylabel("KL")
    ax.set_title(rf"{cfg['scheme']}, $L={cfg['depth']}$, $m={cfg['width']}$, $\sigma={cfg['sigma']}$")
    ax.legend(frameon=False)
    csv = save_csv(out / "tightness.csv", rows)
    return [csv] + save_figure(fig, out / "tightness")
