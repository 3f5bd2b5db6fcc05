#!/usr/bin/env python3
"""Regenerate the tone WAVs in audio_assets/ (deterministic: reruns are byte-identical).

Usage: python scripts/make_assets.py [OUTDIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from voicecoach.audio.assets import ASSETS_DIR, tone_wav_bytes  # noqa: E402
from voicecoach.timeline.tone_lengths import TONE_LENGTHS  # noqa: E402


def main(argv: list[str]) -> int:
    """Write one WAV per tone and print what changed."""
    out_dir = Path(argv[1]) if len(argv) > 1 else ASSETS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in TONE_LENGTHS:
        path = out_dir / f"{name}.wav"
        data = tone_wav_bytes(name)
        if path.is_file() and path.read_bytes() == data:
            print(f"unchanged {path}")
            continue
        path.write_bytes(data)
        print(f"wrote     {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
