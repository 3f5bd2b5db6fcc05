"""Load a programme file (and the library exercises it uses) into a Programme."""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from voicecoach.errors import LimitError, ScriptError, ScriptErrors, ScriptWarning, SourceLocation
from voicecoach.phrases import LANGUAGES
from voicecoach.script import limits, wording
from voicecoach.script.images import parse_image
from voicecoach.script.model import (
    Dose,
    Exercise,
    HoldDose,
    OptionValue,
    Programme,
    RepsDose,
    Sound,
    Tempo,
    TimedDose,
    Voice,
)
from voicecoach.script.overrides import Overrides, merge_phrases, parse_phrases
from voicecoach.script.sound import SOUND_KEYS, parse_author, parse_sound
from voicecoach.script.values import (
    fail,
    parse_bool,
    parse_count,
    parse_duration,
    parse_lines,
    parse_option,
    parse_tempo,
    parse_text,
    written,
)
from voicecoach.script.yamlsource import YNode, describe_value, read_yaml

DEFAULT_TEMPO = Tempo(up=2.0, hold=0.0, down=2.0)
"""Tempo of reps when the script gives none."""
DEFAULT_RELAX = 5.0
"""Seconds between holds when the script gives no relax."""
DEFAULT_LEAD_IN = 2.0
"""Seconds to move into a hold when the script gives no lead_in."""

PROGRAMME_KEYS = (
    "title",
    "language",
    "voice",
    "intro",
    "defaults",
    "exercises",
    "library",
    "phrases",
    *SOUND_KEYS,
)
PROGRAMME_KEYS += ("recordings", "pronounce")
VOICE_KEYS = ("engine", "name", "rate", "options")
DOSE_KEYS = ("reps", "tempo", "hold", "relax", "lead_in", "work")
EXERCISE_KEYS = (
    "name",
    "use",
    "equipment",
    "setup",
    "cues",
    "reminders",
    "caution",
    "sides",
    "side_means",
    "alternate_sides",
    "sets",
    *DOSE_KEYS,
    "tempo_words",
    "count",
    "rest",
    "side_rest",
    "countdown",
    "transition",
    "phrases",
    "image",
)
DEFAULTS_KEYS = tuple(k for k in EXERCISE_KEYS if k not in ("name", "use", "phrases", "image"))
LIBRARY_EXERCISE_KEYS = (*(k for k in EXERCISE_KEYS if k != "use"), "pronounce")

# A dose key in a higher layer (exercise over library over defaults) removes these
# keys from the layers below it, so an override can change the kind of dose.
_DOSE_DISPLACES = {
    "work": ("reps", "tempo", "hold", "relax", "lead_in"),
    "hold": ("tempo", "work"),
    "relax": ("tempo", "work"),
    "lead_in": ("tempo", "work"),
    "tempo": ("hold", "relax", "lead_in", "work"),
    "reps": ("work",),
}
# Keys that cannot stand together in one place.
_DOSE_CONFLICTS = (
    ("work", "reps"),
    ("work", "tempo"),
    ("work", "hold"),
    ("work", "relax"),
    ("work", "lead_in"),
    ("tempo", "hold"),
    ("tempo", "relax"),
    ("tempo", "lead_in"),
)
_LIBRARY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")

Layer = dict[str, tuple[YNode, SourceLocation]]
"""Field name -> (value, where the key is written)."""


MAX_ERRORS = 20
"""Most errors reported for one programme; loading stops there."""


def load_programme(path: str | Path, library: str | Path | None = None) -> Programme:
    """Read, validate and resolve a programme file; LIBRARY overrides its `library:`.

    Every mistake found (up to MAX_ERRORS) is reported: a ScriptError for one, a
    ScriptErrors for several. After a mistake in one exercise the others are checked too.
    """
    path = Path(path)
    warnings: list[ScriptWarning] = []
    root = read_yaml(path, warnings=warnings)
    name = str(path)
    _expect_map(root, "programme")
    fields = root.value
    problems = _Problems()
    with problems.collect():
        _check_keys(root, PROGRAMME_KEYS, "programme")
    title = ""
    with problems.collect():
        if "title" not in fields:
            _missing(root, "title", PROGRAMME_KEYS, name)
        title = parse_text(fields["title"], "title")
    language = "en"
    with problems.collect():
        if "language" in fields:
            language = _parse_language(fields["language"])
    voice = Voice()
    with problems.collect():
        if "voice" in fields:
            voice = _parse_voice(fields["voice"])
    intro = True
    with problems.collect():
        if "intro" in fields:
            intro = parse_bool(fields["intro"], "intro")
    phrases: Overrides = ()
    with problems.collect():
        if "phrases" in fields:
            phrases = parse_phrases(fields["phrases"], in_exercise=False)
    recordings = None
    with problems.collect():
        if "recordings" in fields:
            recordings = path.parent / parse_text(fields["recordings"], "recordings")
    pronounce: tuple[tuple[str, str], ...] = ()
    with problems.collect():
        if "pronounce" in fields:
            pronounce = _parse_pronounce(fields["pronounce"])
    sound, author = Sound(), None
    with problems.collect():
        sound, author = parse_sound(fields, path), parse_author(fields)

    defaults: Layer = {}
    if "defaults" in fields:
        node = fields["defaults"]
        with problems.collect():
            _expect_map(node, "defaults")
            defaults = _layer(node)
            _check_keys(node, DEFAULTS_KEYS, "defaults")
            _check_conflicts(defaults)

    library_dir = None
    with problems.collect(unless_failed=_LIBRARY_FAILED):
        library_dir = _library_dir(path, fields.get("library"), library)
    resolver = _LibraryResolver(
        library_dir, fields.get("library"), warnings, refused=problems.failed(_LIBRARY_FAILED)
    )
    if library is None and "library" not in fields and library_dir is not None:
        resolver.reach = _reach(path)

    exercises: list[Exercise] = []
    with problems.collect():
        items = _exercise_nodes(root, name)
        for item in items:
            with problems.collect():
                exercises.append(_load_exercise(item, defaults, resolver))
    problems.raise_any()
    return Programme(
        title=title,
        exercises=tuple(exercises),
        language=language,
        voice=voice,
        intro=intro,
        source=path,
        library=library_dir,
        warnings=tuple(warnings),
        phrases=phrases,
        recordings=recordings,
        pronounce=pronounce,
        sound=sound,
        author=author,
    )


_LIBRARY_FAILED = "library"


class _Skipped(Exception):
    """A check left out because an earlier error already explains why it would fail."""


class _Problems:
    """The errors found so far in one programme, reported together at the end."""

    def __init__(self) -> None:
        self.errors: list[ScriptError] = []
        self._failed: set[str] = set()

    @contextlib.contextmanager
    def collect(self, unless_failed: str | None = None) -> Iterator[None]:
        """Record a ScriptError raised in the block (and the block as failed), go on."""
        try:
            yield
        except _Skipped:
            pass
        except ScriptError as err:
            if unless_failed is not None:
                self._failed.add(unless_failed)
            for one in err.errors if isinstance(err, ScriptErrors) else (err,):
                if all(str(one) != str(seen) for seen in self.errors):
                    self.errors.append(one)
            if len(self.errors) >= MAX_ERRORS:
                raise ScriptErrors(tuple(self.errors[:MAX_ERRORS]), stopped=True) from None

    def failed(self, what: str) -> bool:
        """True if the block collected as WHAT raised."""
        return what in self._failed

    def raise_any(self) -> None:
        """Raise what was found: the one error, or all of them."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise ScriptErrors(tuple(self.errors))


def _parse_language(node: YNode) -> str:
    language = parse_text(node, "language").lower()
    if language not in LANGUAGES:
        known = ", ".join(sorted(LANGUAGES))
        raise ScriptError(
            f"language: no phrase pack for {node.describe()}; available: {known}", node.loc
        )
    return language


def _missing(node: YNode, key: str, allowed: tuple[str, ...], name: str) -> NoReturn:
    """Refuse NODE for lacking KEY, unless a misspelt key (already reported) meant it."""
    for other in node.key_locs:
        if other not in allowed and difflib.get_close_matches(other, allowed, 1, 0.6) == [key]:
            raise _Skipped
    raise ScriptError(f"missing required key '{key}'", SourceLocation(name, 1, 1))


def _exercise_nodes(root: YNode, name: str) -> list[YNode]:
    fields = root.value
    if "exercises" not in fields:
        _missing(root, "exercises", PROGRAMME_KEYS, name)
    ex_node = fields["exercises"]
    if not ex_node.is_list or not ex_node.value:
        raise fail(ex_node, "exercises", "a list of at least one exercise")
    if len(ex_node.value) > limits.MAX_EXERCISES:
        raise LimitError(
            f"exercises: {len(ex_node.value)} is over the limit of {limits.MAX_EXERCISES}",
            ex_node.loc,
        )
    return ex_node.value


def _parse_voice(node: YNode) -> Voice:
    if isinstance(node.value, str):
        return Voice(name=parse_text(node, "voice"), source=node.loc)
    _expect_map(node, "voice")
    _check_keys(node, VOICE_KEYS, "voice")
    fields = node.value
    engine = parse_text(fields["engine"], "voice.engine") if "engine" in fields else None
    name = parse_text(fields["name"], "voice.name") if "name" in fields else None
    rate = None
    sources = {}
    if "rate" in fields:
        rate = parse_count(fields["rate"], "voice.rate", minimum=1, maximum=limits.MAX_RATE)
        sources["rate"] = fields["rate"].loc
    options: dict[str, OptionValue] = {}
    if "options" in fields:
        options_node = fields["options"]
        _expect_map(options_node, "voice.options")
        for key, value in options_node.value.items():
            options[key] = parse_option(value, f"voice.options.{key}")
            sources[f"options.{key}"] = value.loc
    return Voice(
        engine=engine,
        name=name,
        rate=rate,
        options=tuple(sorted(options.items())),
        source=node.loc,
        sources=sources,
    )


def _parse_pronounce(node: YNode) -> tuple[tuple[str, str], ...]:
    """`pronounce:` word -> spelling pairs (the engine hears the spelling)."""
    _expect_map(node, "pronounce")
    if len(node.value) > limits.MAX_LINES:
        raise LimitError(f"pronounce: over the limit of {limits.MAX_LINES} words", node.loc)
    pairs = []
    for word, spelling in node.value.items():
        text = " ".join(str(word).split())
        if not any(ch.isalnum() for ch in text):
            raise ScriptError("pronounce: a word needs a letter or digit", node.key_locs[word])
        pairs.append((text, parse_text(spelling, f"pronounce.{text}")))
    return tuple(pairs)


def _load_exercise(node: YNode, defaults: Layer, resolver: _LibraryResolver) -> Exercise:
    _expect_map(node, "exercise")
    _check_keys(node, EXERCISE_KEYS, "exercise")
    own = _layer(node)
    _check_conflicts(own)
    layers = [defaults]
    library_id = None
    if "use" in own:
        use_node = own.pop("use")[0]
        try:
            library_id, library_layer = resolver.resolve(use_node)
        except ScriptError as err:
            raise _noted(err, use_node.value, node.loc) from None
        layers.append(library_layer)
    layers.append(own)
    phrase_nodes = [layer["phrases"][0] for layer in layers if "phrases" in layer]
    merged = _merge_layers(layers)
    if "name" not in merged:
        raise ScriptError("exercise has no 'name' (or 'use:' of a library exercise)", node.loc)
    try:
        exercise = _build_exercise(merged, node.loc, library_id)
        overrides = (parse_phrases(n, in_exercise=True) for n in phrase_nodes)
        return replace(exercise, phrases=merge_phrases(*overrides))
    except ScriptError as err:
        if library_id is None:
            raise
        raise _noted(err, library_id, node.loc) from None


def _noted(err: ScriptError, library_id: str, used_at: SourceLocation) -> ScriptError:
    """ERR (a mistake in a library file) saying where the programme uses that file."""
    if isinstance(err, ScriptErrors):
        return ScriptErrors(tuple(_noted(one, library_id, used_at) for one in err.errors))
    if err.location is None or err.location.file == used_at.file:
        return err
    return type(err)(f"{err.message} (in '{library_id}', used at {used_at})", err.location)


def _build_exercise(fields: Layer, where: SourceLocation, library_id: str | None) -> Exercise:
    def get(key: str) -> YNode | None:
        return fields[key][0] if key in fields else None

    kwargs: dict = {"source": where, "library_id": library_id}
    kwargs["name"] = parse_text(fields["name"][0], "name")
    for key in ("equipment", "setup", "cues"):
        if (node := get(key)) is not None:
            kwargs[key] = parse_lines(node, key)
    phased: tuple = ()
    if (node := get("reminders")) is not None:
        kwargs["reminders"], phased = wording.parse_reminders(node)
    if (node := get("caution")) is not None:
        kwargs["caution"] = parse_text(node, "caution")
    if (node := get("image")) is not None:
        kwargs["image"] = parse_image(node)
    if (node := get("sets")) is not None:
        kwargs["sets"] = parse_count(node, "sets", minimum=1, maximum=limits.MAX_SETS)
    for key in ("rest", "side_rest", "transition"):
        if (node := get(key)) is not None:
            kwargs[key] = parse_duration(node, key, maximum=limits.MAX_REST_SECONDS)
    if (node := get("countdown")) is not None:
        kwargs["countdown"] = parse_count(
            node, "countdown", minimum=0, maximum=limits.MAX_COUNTDOWN
        )
    dose = kwargs["dose"] = _parse_dose(fields, where)
    sides = kwargs["sides"] = wording.parse_sides(node) if (node := get("sides")) else ()
    if (node := get("side_means")) is not None:
        kwargs["side_means"] = wording.parse_side_means(node)
    if (node := get("alternate_sides")) is not None:
        kwargs["alternate_sides"], kwargs["alternate_reps"] = wording.parse_alternation(
            node, sides, dose
        )
    if (node := get("tempo_words")) is not None:
        kwargs["tempo_words"] = wording.parse_tempo_words(node)
    if (node := get("count")) is not None:
        kwargs["count"] = wording.parse_count_moment(node)
    kwargs["reminder_phases"] = wording.check_phases(phased, dose)
    if (node := get("pronounce")) is not None:
        kwargs["pronounce"] = _parse_pronounce(node)
    return Exercise(**kwargs)


def _parse_dose(fields: Layer, where: SourceLocation) -> Dose:
    def get(key: str) -> YNode | None:
        return fields[key][0] if key in fields else None

    if (node := get("work")) is not None:
        work = parse_duration(node, "work", maximum=limits.MAX_WORK_SECONDS, allow_zero=False)
        return TimedDose(work=work)
    reps_node = get("reps")
    hold_node = get("hold")
    if hold_node is not None:
        if reps_node is None:
            raise ScriptError("hold: needs 'reps' too (how many holds in a set)", fields["hold"][1])
        reps = parse_count(reps_node, "reps", minimum=1, maximum=limits.MAX_REPS)
        hold = parse_duration(hold_node, "hold", maximum=limits.MAX_HOLD_SECONDS, allow_zero=False)
        relax, lead_in = DEFAULT_RELAX, DEFAULT_LEAD_IN
        if (node := get("relax")) is not None:
            relax = parse_duration(node, "relax", maximum=limits.MAX_HOLD_SECONDS)
        if (node := get("lead_in")) is not None:
            lead_in = parse_duration(node, "lead_in", maximum=limits.MAX_TEMPO_PHASE_SECONDS)
        return HoldDose(reps=reps, hold=hold, relax=relax, lead_in=lead_in)
    for key in ("relax", "lead_in"):
        if key in fields:
            raise ScriptError(f"{key}: only goes with 'hold'", fields[key][1])
    if reps_node is None:
        raise ScriptError(
            "exercise has no dose: give 'reps' (with an optional 'tempo'), 'reps' with "
            "'hold', or 'work' (a timed set)",
            where,
        )
    reps = parse_count(reps_node, "reps", minimum=1, maximum=limits.MAX_REPS)
    tempo = parse_tempo(node) if (node := get("tempo")) is not None else DEFAULT_TEMPO
    return RepsDose(reps=reps, tempo=tempo)


def _layer(node: YNode) -> Layer:
    return {key: (value, node.key_locs[key]) for key, value in node.value.items()}


def _check_conflicts(layer: Layer) -> None:
    for first, second in _DOSE_CONFLICTS:
        if first in layer and second in layer:
            a, b = sorted((first, second), key=lambda k: _loc_order(layer[k][1]))
            raise ScriptError(
                f"{b}: cannot be combined with '{a}' in one exercise; the dose is one of "
                "reps with tempo, reps with hold (and relax), or work",
                layer[b][1],
            )


def _loc_order(loc: SourceLocation) -> tuple[int, int]:
    return (loc.line or 0, loc.column or 0)


def _merge_layers(layers: Iterable[Layer]) -> Layer:
    """Fields of later layers override earlier ones; a dose key displaces other kinds."""
    merged: Layer = {}
    for layer in layers:
        for key in layer:
            for displaced in _DOSE_DISPLACES.get(key, ()):
                if displaced not in layer:
                    merged.pop(displaced, None)
        merged.update(layer)
    return merged


def _expect_map(node: YNode, what: str) -> None:
    if not node.is_map:
        raise ScriptError(f"{what}: expected a mapping of keys, got {node.describe()}", node.loc)


def _check_keys(node: YNode, allowed: tuple[str, ...], what: str) -> None:
    """Refuse every unknown key of NODE (with a suggestion where one is close)."""
    unknown: list[ScriptError] = []
    for key, loc in node.key_locs.items():
        if key in allowed:
            continue
        hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        if key == "use" and what != "exercise":
            message = f"unknown key 'use' in {what}: 'use' only goes in a programme's exercises"
        elif hint:
            message = f"unknown key {describe_value(key)} in {what} (did you mean '{hint[0]}'?)"
        else:
            known = ", ".join(allowed)
            message = f"unknown key {describe_value(key)} in {what}; expected one of: {known}"
        unknown.append(ScriptError(message, loc))
    if len(unknown) == 1:
        raise unknown[0]
    if unknown:
        raise ScriptErrors(tuple(unknown))


def _library_dir(programme: Path, node: YNode | None, override: str | Path | None) -> Path | None:
    if override is not None:
        return Path(override)
    if node is not None:
        text = written(node)
        if text is None or not text.strip():
            raise fail(node, "library", "the path of a folder")
        text = text.strip()
        outside = (
            f"library: {text!r} is outside the folder that holds the programme's folder; "
            "a library elsewhere is given on the command line with --library"
        )
        if Path(text).is_absolute() or text.startswith("~"):
            raise ScriptError(outside, node.loc)
        try:
            folder = (programme.parent / text).resolve(strict=False)
        except (OSError, ValueError):
            raise fail(node, "library", "the path of a folder") from None
        if not folder.is_relative_to(_reach(programme)):
            raise ScriptError(outside, node.loc)
        return folder
    default = programme.parent / "exercises"
    return default if _is_folder(default) else None


def _reach(programme: Path) -> Path:
    """The folder a programme's `library:` must stay in: its own folder's parent."""
    return programme.absolute().parent.resolve().parent


def _is_folder(path: Path) -> bool:
    """True if PATH is a folder; False also when the path cannot be looked at."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


class _LibraryResolver:
    """Finds `use:` ids inside the library folder only, loading each file once."""

    def __init__(
        self,
        directory: Path | None,
        node: YNode | None,
        warnings: list[ScriptWarning],
        refused: bool = False,
    ) -> None:
        self.directory = directory
        self.node = node
        self.warnings = warnings
        self.refused = refused
        """The programme's `library:` was refused (already reported): skip every use."""
        self.reach: Path | None = None
        """For the default exercises/ folder: where it must resolve to (not a symlink out)."""
        self.loaded: dict[str, Layer] = {}

    def resolve(self, use: YNode) -> tuple[str, Layer]:
        raw = use.value if isinstance(use.value, str) else ""
        ex_id = raw.strip()
        if not _LIBRARY_ID.match(ex_id) or ".." in ex_id:
            raise ScriptError(
                f"use: expected the plain name of a library exercise (like 'bird-dog'), "
                f"got {use.describe()}",
                use.loc,
            )
        if ex_id in self.loaded:
            return ex_id, self.loaded[ex_id]
        if self.refused:
            raise _Skipped
        if self.directory is None:
            raise ScriptError(
                f"use: no library folder for '{ex_id}'; set 'library:' in the programme "
                "or pass --library",
                use.loc,
            )
        if not _is_folder(self.directory):
            raise ScriptError(f"use: library folder {self.directory} does not exist", use.loc)
        root = self.directory.resolve()
        if self.reach is not None and not root.is_relative_to(self.reach):
            raise ScriptError(
                f"use: the folder {self.directory} leads outside the folder that holds the "
                "programme's folder; a library elsewhere is given with --library",
                use.loc,
            )
        path = next(
            (
                root / f"{ex_id}{ext}"
                for ext in (".yaml", ".yml")
                if (root / f"{ex_id}{ext}").exists()
            ),
            None,
        )
        if path is None:
            known = sorted(p.stem for p in root.glob("*.y*ml"))
            hint = difflib.get_close_matches(ex_id, known, n=1)
            extra = (
                f" (did you mean '{hint[0]}'?)"
                if hint
                else (f"; known: {', '.join(known[:12])}" if known else "; the folder is empty")
            )
            raise ScriptError(f"use: no exercise '{ex_id}' in {self.directory}{extra}", use.loc)
        real = path.resolve()
        if not real.is_relative_to(root) or not real.is_file():
            raise ScriptError(
                f"use: '{ex_id}' leads outside the library folder {self.directory}", use.loc
            )
        shown = self.directory / path.name
        node = read_yaml(real, shown_as=str(shown), warnings=self.warnings)
        _expect_map(node, "library exercise")
        _check_keys(node, LIBRARY_EXERCISE_KEYS, "library exercise")
        layer = _layer(node)
        _check_conflicts(layer)
        self.loaded[ex_id] = layer
        return ex_id, layer
