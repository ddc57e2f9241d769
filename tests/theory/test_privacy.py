"""KL privacy: conventions against exact answers, an independent RDP accountant, orderings."""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from theory import privacy as P
from theory import symbols as S

UPDATE_NOISE_STD = {  # typed from the update rules in the module docstring, not from the code
    "sqrt2": lambda eta, sigma: math.sqrt(2 * eta * sigma**2),
    "sigma": lambda eta, sigma: math.sqrt(eta) * sigma,
}


def gaussian_kl(mu1, cov1, mu2, cov2):
    """Textbook KL(N(mu1, cov1) || N(mu2, cov2)) in R^p (independent of theory/)."""
    p = len(mu1)
    inv2 = np.linalg.inv(cov2)
    diff = mu2 - mu1
    return 0.5 * (np.trace(inv2 @ cov1) + diff @ inv2 @ diff - p
                  + np.linalg.slogdet(cov2)[1] - np.linalg.slogdet(cov1)[1])


def test_gaussian_kl_derivation_matches_quadrature():
    kl = P.derive_gaussian_kl()
    val = float(kl.subs({P._MU1: 0.3, P._MU2: -0.4, P._S: 0.7}))
    p, q = stats.norm(0.3, math.sqrt(0.7)), stats.norm(-0.4, math.sqrt(0.7))
    quad = integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), -20, 20)[0]
    assert math.isclose(val, quad, rel_tol=1e-9)


@pytest.mark.parametrize("noise", P.NOISE_CONVENTIONS)
@given(seed=st.integers(0, 2**31), K=st.integers(1, 50), sigma=st.floats(0.05, 5.0))
def test_convention_exact_linear_gaussian(noise, seed, K, sigma):
    """Linear losses: the drift difference c is constant, so both final iterates of noisy
    GD are Gaussian and their KL is known exactly; for a constant drift the final-iterate
    KL equals the trajectory KL.  Checks the composed KL for either noise convention."""
    rng = np.random.default_rng(seed)
    p = 3
    c = rng.standard_normal(p)
    etas = rng.uniform(0.01, 0.2, size=K)
    var = sum(UPDATE_NOISE_STD[noise](e, sigma) ** 2 for e in etas)
    mean_gap = etas.sum() * c
    exact = gaussian_kl(np.zeros(p), var * np.eye(p), mean_gap, var * np.eye(p))
    composed = P.discrete_kl(etas, np.full(K, c @ c), sigma=sigma, noise=noise)
    assert math.isclose(composed, exact, rel_tol=1e-10)
    T = etas.sum()
    t = np.linspace(0, T, 11)
    assert math.isclose(P.girsanov_kl(t, np.full(11, c @ c), sigma=sigma, noise=noise), exact, rel_tol=1e-10)


def test_conventions_differ_by_two():
    assert sp.simplify(P.derive_step_kl("sigma") / P.derive_step_kl("sqrt2")) == 2
    assert P.derive_girsanov_rate("sqrt2") == S.delta_sq / (4 * S.sigma**2)


@given(data=st.data(), K=st.integers(1, 30), sigma=st.floats(0.1, 3.0))
def test_discrete_composition_matches_dp_accounting_rdp_order_one(data, K, sigma):
    """dp-accounting's RDP accountant, Gaussian events with noise multiplier
    sqrt(2 eta sigma^2)/(eta ||Delta||), at order 1 equals our composed KL."""
    from dp_accounting import GaussianDpEvent
    from dp_accounting.rdp.rdp_privacy_accountant import RdpAccountant

    etas = np.array(data.draw(st.lists(st.floats(1e-3, 0.5), min_size=K, max_size=K)))
    dsq = np.array(data.draw(st.lists(st.floats(1e-4, 10.0), min_size=K, max_size=K)))
    acc = RdpAccountant(orders=[1.0])
    for eta, d2 in zip(etas, dsq):
        acc.compose(GaussianDpEvent(math.sqrt(2 * eta * sigma**2) / (eta * math.sqrt(d2))))
    assert math.isclose(P.discrete_kl(etas, dsq, sigma=sigma), float(acc.rdp[0]), rel_tol=1e-9)


@pytest.mark.parametrize("noise", P.NOISE_CONVENTIONS)
def test_discrete_converges_to_girsanov_integral(noise):
    """||Delta_t||^2 = 1 + e^{-t} on [0, 2]: left Riemann sums -> exact integral, error O(eta)."""
    sigma, T = 0.7, 2.0
    exact = (T + 1 - math.exp(-T)) / (2 * (2 * sigma**2 if noise == "sqrt2" else sigma**2))
    errors = []
    for K in (10, 100, 1000, 10000):
        t = np.arange(K) * T / K
        errors.append(abs(P.discrete_kl(np.full(K, T / K), 1 + np.exp(-t), sigma=sigma, noise=noise) - exact))
    assert all(b < a / 5 for a, b in zip(errors, errors[1:]))
    assert errors[-1] < 1e-4 * exact
    t = np.linspace(0, T, 2001)
    assert math.isclose(P.girsanov_kl(t, 1 + np.exp(-t), sigma=sigma, noise=noise), exact, rel_tol=1e-6)


pos = st.floats(1e-3, 1e3)


@given(T=pos, G=pos, B=pos, sigma=pos, n=st.integers(1, 10**6), k=st.floats(1.01, 10.0),
       noise=st.sampled_from(P.NOISE_CONVENTIONS), nb=st.sampled_from(P.NEIGHBOUR_RELATIONS))
def test_bound_monotone(T, G, B, sigma, n, k, noise, nb):
    f = lambda **kw: P.linearized_kl_bound(**{**dict(T=T, G=G, B=B, sigma=sigma, n=n, noise=noise,
                                                    neighbours=nb), **kw})
    base = f()
    assert base > 0
    assert f(T=T * k) > base and f(B=B * k) > base and f(G=G * k) > base
    assert f(sigma=sigma * k) < base and f(n=n + 1) < base
    assert math.isclose(f(T=T * k), k * base, rel_tol=1e-12)  # linear in T
    if nb == "replace":
        assert math.isclose(f(), T * G**2 * B / (sigma**2 * n**2) * (1 if noise == "sqrt2" else 2), rel_tol=1e-12)


@given(T=pos, G=pos, sigma=pos, n=st.integers(1, 1000), ga=st.floats(0, 100), gb=st.floats(0, 100),
       nb=st.sampled_from(P.NEIGHBOUR_RELATIONS))
def test_realised_bound_below_expected_bound(T, G, sigma, n, ga, gb, nb):
    """(|g|+|g'|)^2 <= 2(|g|^2+|g'|^2): realised-pair bound <= closed form with B >= mean sq norm."""
    B = max((ga**2 + gb**2) / 2, 1e-12)
    real = P.realised_kl_bound(T=T, G=G, grad_norm_a=ga, grad_norm_b=gb, sigma=sigma, n=n, neighbours=nb)
    assert real <= P.linearized_kl_bound(T=T, G=G, B=B, sigma=sigma, n=n, neighbours=nb) * (1 + 1e-12)


@given(p=st.lists(st.floats(0.01, 1.0), min_size=2, max_size=8), data=st.data())
def test_pinsker_on_discrete_distributions(p, data):
    q = data.draw(st.lists(st.floats(0.01, 1.0), min_size=len(p), max_size=len(p)))
    p, q = np.array(p) / sum(p), np.array(q) / sum(q)
    kl = float(np.sum(p * np.log(p / q)))
    tv = 0.5 * float(np.abs(p - q).sum())
    assert tv <= P.pinsker_tv_bound(kl) + 1e-12
    assert tv <= P.membership_advantage_bound(kl) + 1e-12 <= 1 + 1e-12


def test_bad_inputs():
    with pytest.raises(ValueError, match="sigma"):
        P.linearized_kl_bound(T=1, G=1, B=1, sigma=0, n=10)
    with pytest.raises(ValueError, match="sigma"):
        P.discrete_kl([0.1], [1.0], sigma=-1)
    with pytest.raises(ValueError, match="n"):
        P.linearized_kl_bound(T=1, G=1, B=1, sigma=1, n=0)
    with pytest.raises(ValueError, match="noise"):
        P.discrete_kl([0.1], [1.0], sigma=1, noise="other")
    with pytest.raises(ValueError, match="neighbours"):
        P.linearized_kl_bound(T=1, G=1, B=1, sigma=1, n=3, neighbours="swap")
    with pytest.raises(ValueError, match="sq_grad_diff"):
        P.discrete_kl([0.1], [float("nan")], sigma=1)
    with pytest.raises(ValueError, match="T"):
        P.linearized_kl_bound(T=float("inf"), G=1, B=1, sigma=1, n=3)
    with pytest.raises(ValueError, match="kl"):
        P.pinsker_tv_bound(-1.0)


def test_step_noise_variance_by_hand():
    """eta Sigma: 2 * 0.01 * 0.1^2 = 2e-4 (sqrt2) and 0.01 * 0.1^2 = 1e-4 (sigma), worked by hand."""
    step_noise_variance = P.step_noise_variance
    assert step_noise_variance(lr=0.01, sigma=0.1) == pytest.approx(2e-4, rel=1e-15)
    assert step_noise_variance(lr=0.01, sigma=0.1, noise="sigma") == pytest.approx(1e-4, rel=1e-15)
    for kw, name in ((dict(lr=0.0, sigma=0.1), "lr"), (dict(lr=0.1, sigma=-1.0), "sigma"),
                     (dict(lr=0.1, sigma=float("nan")), "sigma")):
        with pytest.raises(ValueError, match=name):
            step_noise_variance(**kw)
    with pytest.raises(ValueError, match="noise"):
        step_noise_variance(lr=0.1, sigma=0.1, noise="half")
