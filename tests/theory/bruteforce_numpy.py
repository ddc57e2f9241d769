"""Test-only brute-force sampler in plain NumPy, independent of the package's code.

Draws real weight matrices, runs the forward pass, backpropagates by hand and
forms every per-layer Jacobian ``d f_k / d W_l`` as an explicit outer product.
"""

import numpy as np


def per_layer_sq_norms(widths, betas, slopes, x, n_samples, rng, chunk=50_000):
    """Samples of ||d f / d W_l||_F^2, shape (n_samples, L).

    ``slopes[i]``: per-unit negative-side slopes of hidden layer i+1 (array of m_{i+1}).
    """
    L = len(widths) - 1
    out = []
    done = 0
    while done < n_samples:
        N = min(chunk, n_samples - done)
        Ws = [rng.standard_normal((N, widths[l], widths[l - 1])) * np.sqrt(betas[l - 1])
              for l in range(1, L + 1)]
        hs = [np.broadcast_to(x, (N, widths[0]))]
        gs = []
        for l in range(1, L + 1):
            g = np.einsum("nij,nj->ni", Ws[l - 1], hs[-1])
            gs.append(g)
            if l < L:
                a = np.asarray(slopes[l - 1])
                hs.append(np.where(g > 0, g, a * g))
        o = widths[-1]
        delta = np.broadcast_to(np.eye(o), (N, o, o))  # d f / d g_L, rows: units, cols: outputs
        norms = np.empty((N, L))
        for l in range(L, 0, -1):
            jac = np.einsum("nik,nj->nkij", delta, hs[l - 1])  # d f_k / d W_l[i, j]
            norms[:, l - 1] = np.sum(jac**2, axis=(1, 2, 3))
            if l > 1:
                a = np.asarray(slopes[l - 2])
                dphi = np.where(gs[l - 2] > 0, 1.0, a)
                delta = dphi[:, :, None] * np.einsum("nij,nik->njk", Ws[l - 1], delta)
        out.append(norms)
        done += N
    return np.concatenate(out)
