"""One BLAS thread for the small dense NumPy/SciPy linear algebra that runs beside JAX.

On a few cores, OpenBLAS's worker threads and XLA's thread pool compete: a 288 x 288
Cholesky that takes 0.4 ms alone took 7 ms inside a figure build that also ran JAX
(measured on the project's 2-core machine; the utility figure went from 35 s to 10 s).
Matrices this small gain nothing from BLAS threads, so the functions that factor them in
loops run under :func:`single_blas_thread` (threadpoolctl, a few microseconds per call).
"""

from __future__ import annotations

import functools

_CONTROLLER = None


def single_blas_thread(fn):
    """Decorator: run ``fn`` with BLAS limited to one thread (restored afterwards)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        global _CONTROLLER
        if _CONTROLLER is None:
            from threadpoolctl import ThreadpoolController

            _CONTROLLER = ThreadpoolController()
        with _CONTROLLER.limit(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper
