"""One session ready to render: the timeline with a clip for everything it plays.

Built in one place (`pipeline.assemble`) and consumed by `build`, `play` and
`library build`, so a built track and a live session are mixed from the same parts
at the same levels. New parts of the mix (a music bed) join here as fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from voicecoach.audio.clip_levels import LevelStore
from voicecoach.audio.mixer import ClipLike, Mixer, MixLevels
from voicecoach.audio.music import MusicBed
from voicecoach.timeline.model import Timeline


@dataclass(frozen=True, eq=False)
class RenderAssembly:
    """The timeline, its clips and the levels they are mixed at."""

    timeline: Timeline
    """What plays when."""
    speech: Mapping[str, ClipLike]
    """The clip of every phrase the timeline speaks, by text."""
    tones: Mapping[str, ClipLike]
    """The clip of every tone, by tone name."""
    levels: MixLevels = field(default_factory=MixLevels)
    """Loudness target of the track and the relative levels of its parts."""
    levels_dir: Path | None = None
    """Where clip levels are kept between builds (None: measured every time)."""
    music: MusicBed | None = None
    """The music bed under the whole track, ducked under speech (None: no music)."""
    workers: int = 1
    """Clips whose levels are not stored yet are measured this many at once."""

    def mixer(self, levels: MixLevels | None = None) -> Mixer:
        """A mixer of these parts, calibrated to the loudness target (nothing rendered;
        with a music bed, a measuring pass or two). LEVELS replaces ``levels``
        (`write_track` lowers the mix's peak ceiling by the format's headroom).

        AudioError if an event has no usable clip.
        """
        levels = self.levels if levels is None else levels
        store = LevelStore(self.levels_dir, self.workers)
        mixer = Mixer(
            self.timeline, self.speech, self.tones, levels=levels, store=store, music=self.music
        )
        mixer.calibrate()
        return mixer
