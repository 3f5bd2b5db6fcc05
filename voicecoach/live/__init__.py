"""Live playback: the timeline streamed to a sink, kept in time by the sink's clock."""

from voicecoach.live.player import BLOCK_SAMPLES, Player, PlayerState
from voicecoach.live.session import play_session, summary
from voicecoach.live.sinks import SINK_HELP, NullSink, Sink, WavSink, parse_sink
from voicecoach.live.timing import StartSpec, parse_start, start_seconds
from voicecoach.timeline.clock import clock

__all__ = [
    "BLOCK_SAMPLES",
    "SINK_HELP",
    "NullSink",
    "Player",
    "PlayerState",
    "Sink",
    "StartSpec",
    "WavSink",
    "clock",
    "parse_sink",
    "parse_start",
    "play_session",
    "start_seconds",
    "summary",
]
