"""What importing voicecoach sets for the process: one OpenBLAS thread, and glibc keeping
freed memory for the next large array (Linux)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

FAULTS = textwrap.dedent(
    """
    import threading
    import voicecoach
    import numpy as np

    def faults():
        return int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[7])

    def churn():  # what a clip's level does: a few FFTs of a few MB, made and freed
        rng = np.random.default_rng(1)
        for n in range(12):
            samples = rng.standard_normal(3 * 44100 + 997 * n).astype(np.float32)
            spectrum = np.fft.rfft(samples.astype(np.float64), 1 << 18)
            np.fft.irfft(spectrum * 0.5, 1 << 18).sum()

    counts = []
    for where in ("main", "thread"):
        before = faults()
        if where == "main":
            churn()
        else:
            worker = threading.Thread(target=churn)
            worker.start()
            worker.join()
        counts.append(faults() - before)
    print(*counts)
    """
)


def page_faults(**env: str) -> list[int]:
    """Minor page faults of 12 rounds of FFTs of a 3 s clip, in the main thread and in
    another, in a fresh process importing voicecoach with ENV added."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    result = subprocess.run(
        [sys.executable, "-c", FAULTS],
        capture_output=True,
        text=True,
        check=True,
        env={**clean, **env},
    )
    return [int(n) for n in result.stdout.split()]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc settings")
def test_freed_large_arrays_are_reused_without_faulting_their_pages_in_again() -> None:
    pages = 7 * 2**20 // 4096  # one round's arrays: 7 MB
    main, thread = page_faults()
    assert main < 3 * pages and thread < 3 * pages  # 12 rounds: no more than the first
    # a user's own setting wins: every array mapped afresh
    main, thread = page_faults(MALLOC_MMAP_THRESHOLD_="131072")
    assert main > 8 * pages and thread > 8 * pages


def test_openblas_runs_on_one_thread_unless_told_otherwise() -> None:
    code = "import voicecoach, os; print(os.environ['OPENBLAS_NUM_THREADS'])"
    run = [sys.executable, "-c", code]
    clean = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    assert subprocess.run(run, capture_output=True, text=True, env=clean).stdout.strip() == "1"
    mine = {**clean, "OPENBLAS_NUM_THREADS": "2"}
    assert subprocess.run(run, capture_output=True, text=True, env=mine).stdout.strip() == "2"
