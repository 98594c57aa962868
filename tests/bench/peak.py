"""Measures what this machine's matmul can do (tests/bench's "what the physics allows" line).

Prints one JSON object: GFLOP/s of a large square matmul (the practical peak of the BLAS numpy links,
here OpenBLAS) and of the matmul shape a recurrent step actually runs, (batch, H) @ (H, H), for float64
and float32, each the best of several repetitions. Threads: whatever OPENBLAS_NUM_THREADS /
OMP_NUM_THREADS say (bench.py sets them to --threads).
"""

import json
import sys
import time

import numpy as np


def gflops(a, b, reps, inner):
    flops = 2.0 * a.shape[0] * a.shape[1] * b.shape[1] * inner
    a @ b  # warm-up
    best = float('inf')
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            a @ b
        best = min(best, time.perf_counter() - t0)
    return flops / best / 1e9


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2048
    batch, hidden = 128, 100
    rng = np.random.default_rng(0)
    out = {'numpy': np.__version__, 'n': n, 'step_shape': [batch, hidden, hidden]}
    for dt in ('float64', 'float32'):
        a = rng.standard_normal((n, n)).astype(dt)
        b = rng.standard_normal((n, n)).astype(dt)
        out['big_' + dt] = gflops(a, b, 5, 1)
        h = rng.standard_normal((batch, hidden)).astype(dt)
        w = rng.standard_normal((hidden, hidden)).astype(dt)
        out['step_' + dt] = gflops(h, w, 10, 1000)
    try:
        cfg = np.show_config(mode='dicts')  # numpy >= 1.25
        out['blas'] = cfg.get('Build Dependencies', {}).get('blas', {}).get('name')
    except Exception:  # pragma: no cover - older numpy
        out['blas'] = None
    print(json.dumps(out))


if __name__ == '__main__':
    main()
