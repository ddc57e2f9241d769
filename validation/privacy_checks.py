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
   reported as reproduced or not with its numbers, and never fails the run.  The one
   change since: 4 runs per curve instead of 2 (for a usable spread), made before the
   paper-scale grid was first run.
"""

from __future__ import annotations

import jax
import numpy as np

from numerics.bruteforce import draw_weights
from numerics.data import sphere
from numerics.exact_kl import exact_chain
from numerics.gram import gram_from_factors, layer_factors
from numerics.noisy_gd import predict_batch
from numerics.spec import array_spec
from theory import SCHEME_NAMES, Network
from validation.privacy_loss import privacy_loss_or_diverged

CHAIN_CASES = [  # (seed, n, depth, width, scheme, T, sigma)
    (0, 30, 3, 16, "he", 0.2, 0.3), (0, 30, 3, 16, "he", 2.0, 0.3), (0, 30, 3, 16, "he", 20.0, 0.3),
    (1, 24, 2, 32, "lecun", 5.0, 1.0), (2, 24, 4, 8, "xavier", 5.0, 0.1), (3, 20, 3, 16, "ntk", 1.0, 3.0),
    (4, 30, 3, 16, "he", 20.0, 3.0), (5, 16, 2, 8, "lecun", 10.0, 0.05),
]

OBSERVATION_CONFIG = {"width": 256, "narrow_width": 64, "depths": (2, 4, 8, 12, 16), "short": 20, "long": 50,
                      "lr": 0.01, "sigma": 0.1, "runs": 4, "seed": 0, "trend_depth": 8}
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


def _untestable(why: str) -> dict:
    return {"reproduced": False, "untestable": why}


def run_observations(cfg=OBSERVATION_CONFIG, *, progress=None) -> dict:
    """Train every (scheme, depth) of the grid once (digits 0 vs 1) and apply the criteria above.

    ``curves`` in the result holds every training run's mean and spread of the cumulative KL.  A
    configuration whose training diverges (non-finite loss in any run) is recorded in
    ``diverged``, and every criterion that needs it is reported as untestable, not as a verdict.
    """
    done, diverged = {}, {}

    def curve(scheme, depth, width, model="full"):
        key = (scheme, depth, width, model)
        if key not in done:
            res = privacy_loss_or_diverged(scheme=scheme, depth=depth, width=width, model=model, loss="logistic",
                                           epochs=cfg["long"], lr=cfg["lr"], sigma=cfg["sigma"], runs=cfg["runs"],
                                           seed=cfg["seed"])
            done[key] = None if "diverged" in res else res
            if "diverged" in res:
                diverged[f"{scheme} L={depth} m={width} {model}"] = res["message"]
            if progress:
                progress(1)
        return done[key]

    def check(criterion, *needs):
        """Apply ``criterion`` to the mean KL curves of ``needs`` ((scheme, depth, width) or with model)."""
        res = [curve(*n) for n in needs]
        missing = [" ".join(map(str, n)) for n, r in zip(needs, res) if r is None]
        if missing:
            return _untestable("training diverged for " + ", ".join(missing))
        return criterion(*[np.asarray(r["kl_mean"]) for r in res])

    def z_steps(scheme, depths_, epoch, sign):
        """z = sign * (KL(next depth) - KL(depth)) / se at ``epoch``, se over the runs: is a step beyond noise?"""
        r = [curve(scheme, L, m) for L in depths_]
        if any(x is None for x in r):
            return None
        mean = np.array([x["kl_mean"][epoch - 1] for x in r])
        se = np.array([x["kl_std"][epoch - 1] for x in r]) / np.sqrt(cfg["runs"])
        return [float(sign * (b - a) / max(np.hypot(sa, sb), 1e-300))
                for a, b, sa, sb in zip(mean, mean[1:], se, se[1:])]

    m, td, depths = cfg["width"], cfg["trend_depth"], cfg["depths"]
    out = {"config": {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()}}
    for s in SCHEME_NAMES:
        for L in depths:
            curve(s, L, m)
    out["1_linear_then_superlinear"] = {s: check(obs1_linear_then_superlinear, (s, td, m)) for s in SCHEME_NAMES}
    out["2_early_lecun_xavier_small"] = {
        f"depth {L}": check(lambda *kl: obs2_early_small({s: float(k[4]) for s, k in zip(SCHEME_NAMES, kl)}),
                            *[(s, L, m) for s in SCHEME_NAMES]) for L in depths}
    out["3_wider_larger"] = {s: check(obs3_wider_larger, (s, 4, m), (s, 4, cfg["narrow_width"]))
                             for s in SCHEME_NAMES}

    def obs4(*kl):
        return obs4_depth({L: float(k[cfg["short"] - 1]) for L, k in zip(depths, kl)},
                          {L: float(k[cfg["long"] - 1]) for L, k in zip(depths, kl)}, td)

    out["4_depth_trend"] = {s: check(obs4, *[(s, L, m) for L in depths]) for s in ("lecun", "xavier")}
    for s, v in out["4_depth_trend"].items():   # how far each step is from the noise of the R runs
        if "untestable" not in v:
            v["short_decrease_z"] = z_steps(s, [L for L in depths if L >= td], cfg["short"], -1)
            v["long_increase_z"] = z_steps(s, depths, cfg["long"], +1)
    lin = {}
    for s in SCHEME_NAMES:
        res = curve(s, 4, m, model="linearized")
        if res is None:
            lin[s] = _untestable("training diverged")
            continue
        mean, bound = np.asarray(res["kl_mean"]), np.asarray(res["bound"])
        lin[s] = {"kl_final": float(mean[-1]), "bound_final": float(bound[-1]),
                  "fraction_of_epochs_below_bound": float(np.mean(mean <= bound))}
    out["5_bound_along_training"] = {"linearized_depth4": lin,
                                     "note": "equality at initialisation is the gradient-norm validation above"}
    out["diverged"] = diverged
    out["curves"] = [{"scheme": s, "depth": L, "width": w, "model": mod, "kl_mean": r["kl_mean"],
                      "kl_std": r["kl_std"]} for (s, L, w, mod), r in done.items() if r is not None]
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
                nums = {k: (round(x, 5) if isinstance(x, float) else x) for k, x in v.items()
                        if k not in ("reproduced", "untestable")}
                verdict = ("untestable: " + v["untestable"]) if "untestable" in v else \
                    ("reproduced" if v["reproduced"] else "not reproduced")
                lines.append(f"- {sub}: **{verdict}** {nums if nums else ''}")
            lines.append("")
        lines.append("### 5_bound_along_training (linearised, depth 4)")
        for s, v in obs["5_bound_along_training"]["linearized_depth4"].items():
            lines.append(f"- {s}: untestable ({v['untestable']})" if "untestable" in v else
                         f"- {s}: final KL {v['kl_final']:.4g}, bound {v['bound_final']:.4g}, "
                         f"epochs below bound {v['fraction_of_epochs_below_bound']:.0%}")
        lines += ["", "Verdicts apply the criteria above to the run means. In observation 4, z is each step's "
                  "difference over its standard error across the runs: |z| < 2 is within the noise.", ""]
        if obs.get("diverged"):
            lines += ["", "### Training runs that diverged (no verdict drawn from them)"]
            lines += [f"- {k}: {v}" for k, v in obs["diverged"].items()]
    return "\n".join(lines) + "\n"
