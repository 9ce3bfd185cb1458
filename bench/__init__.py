"""Benchmarks (`make bench`): figures are printed and recorded in bench/RESULTS.md, never asserted.

Each extraction process is meant to use one core: numpy's BLAS would otherwise start a thread per
core in every process, and N processes on N cores then fight over N x N threads (measured: two
workers reached 1.1x of one worker with default threads, 1.75x with one thread each). The
variables must be set before numpy is imported, hence here; spawned workers inherit them.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
