"""voicecoach: turn a written exercise programme into a voice-guided audio session."""

import os

# numpy's matrix products here are small (the limiter's and meters' 32-tap windows, the
# loudness weights): OpenBLAS threads only spin against the encoders (on 2 busy cores a
# product took 13 ms threaded, 0.2 ms on one thread). Set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
