"""The project's one base error and its located subclasses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLocation:
    """A place in a source file (1-based line and column)."""

    file: str
    """Path of the file as the user named it."""
    line: int | None = None
    """1-based line number, or None when only the file is known."""
    column: int | None = None
    """1-based column number, or None when only the file (or line) is known."""

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class VoiceCoachError(Exception):
    """Base of every error voicecoach reports to the user as one line."""

    def __init__(self, message: str, location: SourceLocation | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location}: {self.message}"

    def lines(self) -> list[str]:
        """The error as the lines to print (one, unless several errors were collected)."""
        return [str(self)]


class ScriptError(VoiceCoachError):
    """A programme or exercise file is invalid (always located)."""


class LimitError(ScriptError):
    """A programme exceeds one of the safety limits (too many sets, too long...)."""


class ScriptErrors(ScriptError):
    """Several mistakes found in one programme, reported together (one line each)."""

    def __init__(self, errors: tuple[ScriptError, ...], stopped: bool = False) -> None:
        first = errors[0]
        more = len(errors) - 1
        super().__init__(
            f"{first.message} (and {more}{'+' if stopped else ''} more "
            f"error{'s' if more != 1 or stopped else ''})",
            first.location,
        )
        self.errors = errors
        self.stopped = stopped
        """True when checking stopped at a limit: there may be more errors."""

    def lines(self) -> list[str]:
        """Each error as its own line (and a last one if checking stopped early)."""
        lines = [str(err) for err in self.errors]
        if self.stopped and self.location is not None:
            lines.append(f"{self.location.file}: stopped after {len(self.errors)} errors")
        return lines


@dataclass(frozen=True)
class ScriptWarning:
    """Something in a programme that is probably not what was meant, but not an error."""

    message: str
    """What looks wrong and how to fix it."""
    location: SourceLocation
    """Where it is written."""

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class SpeechError(VoiceCoachError):
    """A speech engine is missing, failed, hung or produced no audio."""


class ClipNotCached(SpeechError):
    """A thread that only reads clips (`speech.cache.only_reading_clips`) asked for one
    that is neither in the phrase cache's memory nor in its folder."""


class UnknownVoiceError(SpeechError):
    """The engine has no voice by the name asked for."""


class VoiceSettingError(SpeechError):
    """A voice setting the engine refuses (a rate out of its range, an unknown option)."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting
        """What is refused: "rate" or "options.KEY"."""


class AudioError(VoiceCoachError):
    """Mixing, encoding or tagging failed (ffmpeg missing, disk full, ...)."""


class BuildInterrupted(VoiceCoachError):
    """A build was stopped by a signal; nothing partial was left behind."""
