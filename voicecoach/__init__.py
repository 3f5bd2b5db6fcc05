"""voicecoach: turn a written exercise programme into a voice-guided audio session."""

__version__ = "0.1.0"
