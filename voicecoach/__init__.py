"""voicecoach: turn a written exercise programme into a voice-guided audio session."""

import os
import sys

# numpy's matrix products here are small (the limiter's and meters' 32-tap windows, the
# loudness weights): OpenBLAS threads only spin against the encoders (on 2 busy cores a
# product took 13 ms threaded, 0.2 ms on one thread). Set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

_MALLOC_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")
MALLOC_TRIM_BYTES = 64 * 2**20
"""Free memory glibc keeps at the top of each heap (see `_keep_freed_memory`)."""


def _keep_freed_memory() -> None:
    """Have glibc keep the large arrays' freed memory for the next ones (Linux, glibc).

    A clip's level is found by a few FFTs of a few MB each; by default glibc gives such
    memory back when it is freed (munmap, or trimming a thread's heap) and the next array
    faults it in again, page by page: on the 2-core machine a cold demo build's two level
    threads took 4.5-5.3 s of system time in page faults (0.4 s with this). Large
    requests come from the heap (up to glibc's 32 MB mmap limit) and a heap is trimmed
    only above MALLOC_TRIM_BYTES free. A user's own malloc settings win.
    """
    if not sys.platform.startswith("linux") or any(name in os.environ for name in _MALLOC_SETTINGS):
        return
    if "malloc" in os.environ.get("GLIBC_TUNABLES", ""):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 4 * 2**20 * ctypes.sizeof(ctypes.c_long))  # glibc's most
    mallopt(m_trim_threshold, MALLOC_TRIM_BYTES)


_keep_freed_memory()

__version__ = "0.1.0"
