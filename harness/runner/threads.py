"""BLAS thread pools during a run: one size wherever the run happens, so its numbers do not depend on it.

LAPACK's blocked factorizations sum in an order that follows the size of the BLAS pool: the
geometry plugin's `chain` model (numpy.linalg.solve) scored 5.163501933663028e-05 with one
OpenBLAS thread and 5.163501933663069e-05 with two. The `processes` executor sizes its workers'
pools to their share of the cores, Ray to a task's CPUs, `local` and `harness run` leave the
machine's default: so every run computes with one BLAS thread, the same under every executor
and any `--workers`. OpenMP pools (torch's intra-op threads) are left as the executor sets them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

#: The BLAS pool size of every run.
RUN_BLAS_THREADS = 1

#: Read by the BLAS libraries when they load: libraries a run imports for the first time.
BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


@contextmanager
def run_blas_threads() -> Iterator[None]:
    """`RUN_BLAS_THREADS` for the loaded BLAS libraries (threadpoolctl) and, through the
    environment, for those loaded inside; both put back afterwards."""
    from threadpoolctl import threadpool_limits

    saved = {name: os.environ.get(name) for name in BLAS_VARIABLES}
    os.environ.update(dict.fromkeys(BLAS_VARIABLES, str(RUN_BLAS_THREADS)))
    try:
        with threadpool_limits(limits=RUN_BLAS_THREADS, user_api="blas"):
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
