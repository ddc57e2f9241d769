r"""Privacy validation: the exact Gaussian chain against its bounds, and the authors' observations.

1. **Chain** (linearised network, squared loss, replace-one neighbours, exact in
   float64, :mod:`numerics.exact_kl`): final-iterate KL :math:`\le` trajectory KL
   :math:`\le` pathwise bound must hold in every case (a failure fails the run); the
   Lipschitz-style bound with the initial residual is reported, not required, since
   THEORY.md §3 shows it does not apply to the squared loss.  Every ratio is reported.
2. **Observations** (THEORY.md §5) re-run at CPU scale on digits 0 vs 1, full network,
   logistic loss, :math:`\eta = 0.01`, :math:`\sigma = 0.1`, remove/add neighbours,
   width 256, depths 2-16, short = 20 and long = 50 epochs.  These settings and the
   criteria below were fixed before any run was looked at; each observation is
   reported as reproduced or not with its numbers, and never fails the run.
"""

from __future__ import annotations

import jax
import numpy as np

from numerics.bruteforce import draw_weights
from numerics.data import digits, sphere
from numerics.exact_kl import exact_chain
from numerics.gram import gram_from_factors, layer_factors
from numerics.noisy_gd import TrainingRun, predict_batch, train
from numerics.spec import array_spec
from theory import SCHEME_NAMES, Network
from validation.privacy_loss import closed_form_bound

CHAIN_CASES = [  # (seed, n, depth, width, scheme, T, sigma)
    (0, 30, 3, 16, "he", 0.2, 0.3), (0, 30, 3, 16, "he", 2.0, 0.3), (0, 30, 3, 16, "he", 20.0, 0.3),
    (1, 24, 2, 32, "lecun", 5.0, 1.0), (2, 24, 4, 8, "xavier", 5.0, 0.1), (3, 20, 3, 16, "ntk", 1.0, 3.0),
    (4, 30, 3, 16, "he", 20.0, 3.0), (5, 16, 2, 8, "lecun", 10.0, 0.05),
]

OBSERVATION_CONFIG = {"width": 256, "narrow_width": 64, "depths": (2, 4, 8, 12, 16), "short": 20, "long": 50,
                      "lr": 0.01, "sigma": 0.1, "runs": 2, "seed": 0, "trend_depth": 8}
QUICK_OBSERVATION_CONFIG = {**OBSERVATION_CONFIG, "width": 32, "narrow_width": 8, "depths": (2, 4, 8)}


def chain_case(seed, n, depth, width, scheme, T, sigma, lr=0.01):
    ds = sphere(n=n, input_dim=5, seed=seed)
    spec = array_spec(Network.uniform(depth=depth, width=width, input_dim=5), scheme)
    W0 = draw_weights(spec, key=jax.random.key(seed))
    X = np.vstack([ds.x_train, ds.x_held])
    y = np.concatenate([ds.y_train, ds.y_held])
    sl = [np.zeros(()) for _ in range(depth - 1)]
    K = np.asarray(gram_from_factors(layer_factors(W0, X, sl)))
    r = np.asarray(predict_batch(W0, X, sl)) - y
    c = exact_chain(K, r, n=ds.n, j=0, z=ds.n, lr=lr, sigma=sigma, steps=int(round(T / lr)))
    return {"seed": seed, "n": ds.n, "depth": depth, "width": width, "scheme": scheme, "T": T, "sigma": sigma,
            "final_kl": c.final_kl, "trajectory_kl": c.trajectory_kl, "pathwise_bound": c.pathwise_bound,
            "lipschitz_initial_bound": c.lipschitz_initial_bound,
            "final_over_trajectory": c.final_kl / c.trajectory_kl,
            "trajectory_over_pathwise": c.trajectory_kl / c.pathwise_bound,
            "lipschitz_holds": bool(c.trajectory_kl <= c.lipschitz_initial_bound),
            "passed": bool(c.final_kl <= c.trajectory_kl * (1 + 1e-9) <= c.pathwise_bound * (1 + 1e-9))}


def run_chain(cases=CHAIN_CASES) -> dict:
    rows = [chain_case(*c) for c in cases]
    return {"cases": rows, "passed": all(r["passed"] for r in rows),
            "lipschitz_failures": sum(not r["lipschitz_holds"] for r in rows)}


# ---- observations: the criteria, as pure functions of the measured KL curves ----

def obs1_linear_then_superlinear(kl: np.ndarray) -> dict:
    """KL(10)/KL(5) within 2 ± 0.2 (linear early) and KL(50)/KL(25) > 2.2 (faster later)."""
    early = kl[9] / kl[4]
    late = kl[49] / kl[24] if len(kl) >= 50 else float("nan")
    return {"early_ratio": float(early), "late_ratio": float(late),
            "reproduced": bool(abs(early - 2) < 0.2 and late > 2.2)}


def obs2_early_small(kl_at5: dict) -> dict:
    """At epoch 5: max(LeCun, Xavier) < 0.1 * min(He, NTK)."""
    small = max(kl_at5["lecun"], kl_at5["xavier"])
    big = min(kl_at5["he"], kl_at5["ntk"])
    return {"kl_epoch5": kl_at5, "reproduced": bool(small < 0.1 * big)}


def obs3_wider_larger(wide: np.ndarray, narrow: np.ndarray) -> dict:
    """Wide KL above narrow KL at every epoch."""
    return {"fraction_of_epochs": float(np.mean(wide > narrow)), "reproduced": bool(np.all(wide > narrow))}


def obs4_depth(kl_short: dict, kl_long: dict, trend_depth: int) -> dict:
    """Short time: KL decreases with depth beyond ``trend_depth``; long time: increases at all depths."""
    depths = sorted(kl_short)
    deep = [d for d in depths if d >= trend_depth]
    inc = all(kl_long[a] < kl_long[b] for a, b in zip(depths, depths[1:]))
    if len(deep) < 2:  # the grid has fewer than two depths >= trend_depth: not testable here
        return {"kl_short": kl_short, "kl_long": kl_long, "short_decreases_beyond": None,
                "long_increases": bool(inc), "reproduced": False,
                "note": f"untestable: fewer than two grid depths >= {trend_depth}"}
    dec = all(kl_short[a] > kl_short[b] for a, b in zip(deep, deep[1:]))
    return {"kl_short": kl_short, "kl_long": kl_long, "short_decreases_beyond": bool(dec),
            "long_increases": bool(inc), "reproduced": bool(dec and inc)}


def run_observations(cfg=OBSERVATION_CONFIG, *, progress=None) -> dict:
    ds = digits((0, 1), seed=cfg["seed"])
    curves = {}

    def kl_curve(scheme, depth, width, model="full"):
        run = TrainingRun(Network.uniform(depth=depth, width=width, input_dim=ds.input_dim), scheme,
                          model=model, loss="logistic", lr=cfg["lr"], sigma=cfg["sigma"], steps=cfg["long"],
                          runs=cfg["runs"], seed=cfg["seed"])
        res = train(run, ds)
        if progress:
            progress(1)
        return res.kl_cumulative.mean(axis=0), run

    for s in SCHEME_NAMES:
        for L in cfg["depths"]:
            curves[(s, L)] = kl_curve(s, L, cfg["width"])[0]
    td = cfg["trend_depth"]
    out = {"config": {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()}}
    out["1_linear_then_superlinear"] = {s: obs1_linear_then_superlinear(curves[(s, td)]) for s in SCHEME_NAMES}
    out["2_early_lecun_xavier_small"] = {
        f"depth {L}": obs2_early_small({s: float(curves[(s, L)][4]) for s in SCHEME_NAMES}) for L in cfg["depths"]}
    out["3_wider_larger"] = {s: obs3_wider_larger(curves[(s, 4)] if (s, 4) in curves else curves[(s, cfg["depths"][0])],
                                                  kl_curve(s, 4, cfg["narrow_width"])[0]) for s in SCHEME_NAMES}
    out["4_depth_trend"] = {s: obs4_depth({L: float(curves[(s, L)][cfg["short"] - 1]) for L in cfg["depths"]},
                                          {L: float(curves[(s, L)][cfg["long"] - 1]) for L in cfg["depths"]}, td)
                            for s in ("lecun", "xavier")}
    lin = {}
    for s in SCHEME_NAMES:
        mean, run = kl_curve(s, 4, cfg["width"], model="linearized")
        bound = closed_form_bound(run, ds.n, cfg["lr"] * np.arange(1, cfg["long"] + 1))
        lin[s] = {"kl_final": float(mean[-1]), "bound_final": bound[-1],
                  "fraction_of_epochs_below_bound": float(np.mean(mean <= np.array(bound)))}
    out["5_bound_along_training"] = {"linearized_depth4": lin,
                                     "note": "equality at initialisation is the gradient-norm validation above"}
    return out


def to_markdown(chain: dict, obs: dict | None) -> str:
    lines = ["# Validation: KL privacy", "", "## Exact Gaussian chain (linearised, squared loss, replace-one)", "",
             f"**{'PASS' if chain['passed'] else 'FAIL'}**: final <= trajectory <= pathwise bound in every case. "
             f"The Lipschitz-style bound with the initial residual failed in {chain['lipschitz_failures']} of "
             f"{len(chain['cases'])} cases (expected: it does not apply to the squared loss).", "",
             "| scheme | L | m | n | T | sigma | final KL | trajectory KL | pathwise bound | final/traj | "
             "traj/bound | Lipschitz(init) holds |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in chain["cases"]:
        lines.append(f"| {r['scheme']} | {r['depth']} | {r['width']} | {r['n']} | {r['T']} | {r['sigma']} | "
                     f"{r['final_kl']:.4g} | {r['trajectory_kl']:.4g} | {r['pathwise_bound']:.4g} | "
                     f"{r['final_over_trajectory']:.3f} | {r['trajectory_over_pathwise']:.3f} | "
                     f"{'yes' if r['lipschitz_holds'] else 'no'} |")
    if obs:
        lines += ["", "## The authors' observations at CPU scale", "",
                  "Settings and criteria fixed before looking (validation/privacy_checks.py): "
                  + ", ".join(f"{k}={v}" for k, v in obs["config"].items()), ""]
        for key in ("1_linear_then_superlinear", "2_early_lecun_xavier_small", "3_wider_larger", "4_depth_trend"):
            lines.append(f"### {key}")
            for sub, v in obs[key].items():
                nums = {k: (round(x, 5) if isinstance(x, float) else x) for k, x in v.items() if k != "reproduced"}
                lines.append(f"- {sub}: **{'reproduced' if v['reproduced'] else 'not reproduced'}** {nums}")
            lines.append("")
        lines.append("### 5_bound_along_training (linearised, depth 4)")
        for s, v in obs["5_bound_along_training"]["linearized_depth4"].items():
            lines.append(f"- {s}: final KL {v['kl_final']:.4g}, bound {v['bound_final']:.4g}, "
                         f"epochs below bound {v['fraction_of_epochs_below_bound']:.0%}")
    return "\n".join(lines) + "\n"
