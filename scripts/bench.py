#!/usr/bin/env python3
"""Benchmarks: speed and memory as ratios measured in one run (machines here are noisy).

    .venv/bin/python scripts/bench.py            # all, about an hour on 2 busy cores
    .venv/bin/python scripts/bench.py --quick    # skip the real-voice builds
    .venv/bin/python scripts/bench.py --cold     # only cold builds, 1 vs one speaker a core

Prints: synthesis speed of each installed speech engine (seconds of speech per second,
over the demo's lines), compile speed (track seconds laid out per second of compiling),
how fast `validate` refuses, render+encode speed (x realtime) and peak memory of a 10-
and a 60-minute build (bounded memory means the ratio stays near 1 although the track is
6x longer), warm builds of the demo, a speech-heavy and a 2-hour programme (also with a
music bed) against ffmpeg alone encoding the same audio at the same bitrate (wall, CPU,
peak memory; and the wall time with the MP3 encoded by one ffmpeg instead of one per
core), `library build -j 1` vs `-j 2`, a naive pydub script (appending each sound)
against our warm build of the demo, the largest programme the limits allow (warm, fake
voice) against the floor; without --quick also a cold build of the demo against a warm
rebuild with each installed engine (and its synthesis speed), cold builds with the
default voice with one speaking engine against one per core (medians of alternating
pairs), and the load-time length estimate against the built length.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicecoach import pipeline  # noqa: E402
from voicecoach.errors import VoiceCoachError  # noqa: E402
from voicecoach.script import load_programme  # noqa: E402
from voicecoach.speech.base import estimate_duration  # noqa: E402
from voicecoach.timeline import compile_programme  # noqa: E402
from voicecoach.timeline.estimate import minimum_seconds  # noqa: E402


def programme_yaml(exercises: int, engine: str = "fake") -> str:
    """A programme of EXERCISES varied exercises (all dose kinds, sides)."""
    doses = [
        "sides: [left, right]\n    sets: 3\n    reps: 12\n    tempo: 2-1-3",
        "sets: 3\n    reps: 8\n    hold: 10s\n    relax: 5s",
        "sides: [left, right]\n    alternate_sides: true\n    sets: 3\n    work: 40s",
        "sets: 3\n    reps: 15",
    ]
    items = []
    for i in range(exercises):
        items.append(
            f"  - name: Exercise number {i + 1}\n"
            f"    setup: [Get into position for exercise {i + 1}.]\n"
            f"    cues: [Move smoothly and under control.]\n"
            f"    reminders: [Breathe calmly., Keep your back neutral., Stay relaxed.]\n"
            f"    {doses[i % len(doses)]}\n"
        )
    return (
        f"title: Benchmark with {exercises} exercises\nvoice: {{engine: {engine}}}\n"
        "defaults: {rest: 30s}\nexercises:\n" + "".join(items)
    )


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def bench_compile(folder: Path) -> None:
    path = write(folder, "compile.yaml", programme_yaml(30))
    programme = load_programme(path)
    runs, started = 0, time.perf_counter()
    while True:
        timeline = compile_programme(programme, estimate_duration)
        runs += 1
        elapsed = time.perf_counter() - started
        if elapsed > 2.0:
            break
    per_run = elapsed / runs
    print(
        f"compile: {len(timeline.events)} events, {timeline.duration / 60:.0f} min of track "
        f"in {per_run * 1000:.0f} ms = {timeline.duration / per_run:,.0f} track-seconds "
        "per second of compiling"
    )


_BUILD = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path
    from voicecoach import pipeline
    from voicecoach.audio import encode
    script, out, cache, speakers, engine, encoders = sys.argv[1:7]
    encode.MAX_ENCODERS = int(encoders) or encode.MAX_ENCODERS
    voice = pipeline.VoiceOverride(engine=engine) if engine else None
    programme = pipeline.load(script, voice=voice)
    c = pipeline.open_cache(programme, cache, int(speakers) or None)
    started = time.perf_counter()
    timeline = pipeline.plan(programme, c, track=pipeline.TrackFormat("mp3"))  # as `build` does
    plan = time.perf_counter() - started
    speech = sum(c.duration(text, programme.voice) for text in timeline.phrases())
    started, cpu = time.perf_counter(), os.times()
    pipeline.build(programme, timeline, c, Path(out), "mp3")
    render, after = time.perf_counter() - started, os.times()
    used = sum(after[:4]) - sum(cpu[:4])  # this process and its children (ffmpeg)
    # peak RSS of this process alone: ru_maxrss would also hold the parent's (Linux
    # carries the high-water mark across the exec of a vforked child)
    rss = next(int(line.split()[1]) for line in open("/proc/self/status")
               if line.startswith("VmHWM:")) / 1024
    print(json.dumps({"duration": timeline.duration, "render": render, "cpu": used,
                      "rss_mb": rss, "synthesized": c.synthesized, "plan": plan,
                      "speech": speech, "events": len(timeline.events),
                      "phrases": len(timeline.phrases())}))
    """
)


def run_build(
    script: Path,
    out: Path,
    cache: Path,
    speakers: int = 0,
    engine: str | None = None,
    encoders: int = 0,
) -> dict:
    """Plan and build SCRIPT in a fresh process (SPEAKERS engines, 0: one per core;
    ENGINE instead of the programme's voice, as `--engine` would; ENCODERS: at most that
    many ffmpeg processes for the MP3, 0: one per core)."""
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _BUILD,
            str(script),
            str(out),
            str(cache),
            str(speakers),
            engine or "",
            str(encoders),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"build failed:\n{result.stderr}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    data["wall"] = time.perf_counter() - started
    return data


_NAIVE = textwrap.dedent(
    """
    # A user's first attempt with pydub: each sound appended in order after the silence
    # before it (a sound that starts before the track so far ends is overlaid at its
    # start instead, the track padded with silence if the sound runs past its end).
    import json, os, sys, time
    from pydub import AudioSegment
    events_file, out, bitrate = sys.argv[1:4]
    started, cpu = time.perf_counter(), os.times()
    plan = json.load(open(events_file))
    clips = {}  # each file read once
    track = AudioSegment.empty()
    for event in plan["events"]:
        clip = clips.get(event["file"])
        if clip is None:
            clip = clips[event["file"]] = AudioSegment.from_wav(event["file"])
        start = event["start"] * 1000
        if start >= len(track):
            gap = AudioSegment.silent(duration=start - len(track), frame_rate=44100)
            track += gap + clip
        else:
            end = start + len(clip)
            if end > len(track):
                track += AudioSegment.silent(duration=end - len(track), frame_rate=44100)
            track = track.overlay(clip, position=start)
    end = plan["duration"] * 1000
    if end > len(track):
        track += AudioSegment.silent(duration=end - len(track), frame_rate=44100)
    track.export(out, format="mp3", bitrate=bitrate)
    wall, after = time.perf_counter() - started, os.times()
    # peak RSS of this process alone: ru_maxrss would also hold the parent's (Linux
    # carries the high-water mark across the exec of a vforked child)
    rss = next(int(line.split()[1]) for line in open("/proc/self/status")
               if line.startswith("VmHWM:")) / 1024
    print(json.dumps({"render": wall, "cpu": sum(after[:4]) - sum(cpu[:4]), "rss_mb": rss,
                      "duration": len(track) / 1000}))
    """
)


def naive_plan(script: Path, cache: Path, folder: Path, engine: str | None = None) -> Path:
    """The timeline of SCRIPT (as run_build plans it, from the warm CACHE) as a JSON
    list of each sound's start and the cached WAV file it plays (phrases from the phrase
    cache, tones from audio_assets/), for the naive baseline."""
    from voicecoach.audio.assets import ASSETS_DIR

    voice = pipeline.VoiceOverride(engine=engine) if engine else None
    programme = pipeline.load(script, voice=voice)
    sound = programme.sound
    if sound.voiced or sound.tone_folder is not None or sound.tones != "standard":
        raise SystemExit("the naive baseline plays the standard tones only")
    speech = pipeline.open_cache(programme, cache, speakers=1)
    try:
        timeline = pipeline.plan(programme, speech)
        events = []
        for event in timeline.events:
            if event.kind == "speech":
                file = speech.path(speech.spoken(event.text or ""), programme.voice)
            else:
                file = ASSETS_DIR / f"{event.tone}.wav"
            events.append({"start": event.start, "file": str(file)})
    finally:
        speech.engine.close()
    path = folder / "naive-plan.json"
    path.write_text(json.dumps({"duration": timeline.duration, "events": events}))
    return path


def run_naive(plan: Path, out: Path) -> dict:
    """The naive pydub baseline over PLAN (naive_plan) in a fresh process, exported to
    MP3 at the build's bitrate."""
    from voicecoach.audio.encode import FORMATS

    bitrate = f"{FORMATS['mp3'].bitrate}k"
    result = subprocess.run(
        [sys.executable, "-c", _NAIVE, str(plan), str(out), bitrate],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"naive baseline failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def bench_naive(folder: Path, quick: bool) -> None:
    """Our warm build of the demo against the naive pydub baseline with the same
    timeline and cached clips (median of two alternating runs each). The demo speaks
    with its default voice; with --quick, with the fake engine. The baseline copies the
    whole track for every sound (quadratic in the track's length), so it runs on the
    demo only: on the 2-hour programme it would take hours."""
    demo = pipeline.demo_programme()
    engine = "fake" if quick else None
    label = voice_name(demo, engine)
    cache = folder / ("cache-naive-fake" if quick else "cache-floor")
    ours_out, naive_out = folder / "ours.mp3", folder / "naive.mp3"
    run_build(demo, ours_out, cache, engine=engine)  # warm the phrase cache
    plan = naive_plan(demo, cache, folder, engine)
    ours, naive = [], []
    for _ in range(2):
        ours.append(run_build(demo, ours_out, cache, engine=engine))
        naive.append(run_naive(plan, naive_out))
    wall = statistics.median(r["render"] for r in ours)
    cpu = statistics.median(r["cpu"] for r in ours)
    naive_wall = statistics.median(r["render"] for r in naive)
    naive_cpu = statistics.median(r["cpu"] for r in naive)
    rss = max(r["rss_mb"] for r in ours)
    naive_rss = max(r["rss_mb"] for r in naive)
    print(
        f"naive pydub baseline (demo, {label}, {ours[0]['duration'] / 60:.1f} min, "
        f"{ours[0]['events']} sounds): naive wall {naive_wall:.1f} s, CPU {naive_cpu:.1f} s, "
        f"peak memory {naive_rss:.0f} MB; warm build wall {wall:.1f} s, CPU {cpu:.1f} s, "
        f"peak memory {rss:.0f} MB: speed-up {naive_wall / wall:.2f}x wall, "
        f"{naive_cpu / cpu:.2f}x CPU; naive/ours peak memory {naive_rss / rss:.2f}x"
    )


def voice_name(script: Path, engine: str | None = None) -> str:
    """What SCRIPT speaks with (ENGINE instead of its voice's), e.g. "piper
    en_US-joe-medium (neural)"."""
    from voicecoach.speech.choice import voice_label

    voice = pipeline.VoiceOverride(engine=engine) if engine else None
    return voice_label(pipeline.load(script, voice=voice).voice)


def bench_render_and_memory(folder: Path) -> None:
    cache = folder / "cache-fake"
    short = write(folder, "short.yaml", programme_yaml(4))
    long = write(folder, "long.yaml", programme_yaml(20))
    run_build(short, folder / "warm.mp3", cache)  # warm the phrase cache
    a = run_build(short, folder / "short.mp3", cache)
    b = run_build(long, folder / "long.mp3", cache)
    for label, r in (("short", a), ("long", b)):
        print(
            f"render+encode ({label}): {r['duration'] / 60:.1f} min of audio in "
            f"{r['render']:.1f} s = {r['duration'] / r['render']:.0f}x realtime; "
            f"peak memory {r['rss_mb']:.0f} MB"
        )
    print(
        f"memory: a {b['duration'] / a['duration']:.1f}x longer track needs "
        f"{b['rss_mb'] / a['rss_mb']:.2f}x the peak memory"
    )


SYNTH_ENGINES = (
    ("piper", {"engine": "piper"}),
    ("pyttsx3", {"engine": "pyttsx3"}),
    ("espeak-ng", {"engine": "espeak-ng"}),
    ("command", {"engine": "command", "options": {"run": "espeak-ng -v {voice} -w {out} {text}"}}),
)
"""(label, voice settings) of every engine the synthesis benchmark tries."""


def demo_lines(limit: int = 40) -> list[str]:
    """The first LIMIT distinct lines of the bundled demo."""
    programme = load_programme(pipeline.demo_programme())
    return compile_programme(programme, estimate_duration).phrases()[:limit]


def bench_synthesis() -> None:
    from dataclasses import replace

    from voicecoach.errors import SpeechError
    from voicecoach.script.model import Voice
    from voicecoach.speech.registry import get_engine

    lines = demo_lines()
    for label, settings in SYNTH_ENGINES:
        engine = get_engine(settings["engine"])
        voice = Voice(engine=settings["engine"], name="en")
        if "options" in settings:
            voice = replace(voice, options=tuple(sorted(settings["options"].items())))
        try:
            engine.check()
            started = time.perf_counter()
            engine.synthesize(lines[0], voice)  # start-up: a model load, a worker...
            startup = time.perf_counter() - started
            started = time.perf_counter()
            speech = sum(engine.synthesize(text, voice).duration for text in lines[1:])
            elapsed = time.perf_counter() - started
        except SpeechError as err:
            print(f"synthesis ({label}): skipped: {err}")
            continue
        finally:
            if hasattr(engine, "close"):
                engine.close()
        print(
            f"synthesis ({label}): {speech:.0f} s of speech ({len(lines) - 1} lines) in "
            f"{elapsed:.1f} s = {speech / elapsed:.1f} s of speech per second "
            f"(first line, with start-up: {startup:.1f} s)"
        )


COLD_ENGINES = ("piper", "pyttsx3", "espeak-ng")
"""Engines the cold-vs-warm builds try (those installed), the demo's default first."""


def installed_engines() -> list[str]:
    """The engines of COLD_ENGINES that can run here."""
    from voicecoach.errors import SpeechError
    from voicecoach.speech.registry import get_engine

    found = []
    for name in COLD_ENGINES:
        engine = get_engine(name)
        try:
            engine.check()
            found.append(name)
        except SpeechError as err:
            print(f"cold vs warm ({name}): skipped: {err}")
        finally:
            engine.close()
    return found


def bench_cache(folder: Path) -> None:
    """Per installed engine: a cold build of the demo (fresh cache, one speaker per
    core) against a warm rebuild, and how fast the cold build synthesised."""
    demo = pipeline.demo_programme()
    for engine in installed_engines():
        cache = folder / f"cache-{engine}"
        cold = run_build(demo, folder / "cold.mp3", cache, engine=engine)
        warm = run_build(demo, folder / "warm-real.mp3", cache, engine=engine)
        print(
            f"cold vs warm ({voice_name(demo, engine)}, demo): cold build {cold['wall']:.1f} s "
            f"({cold['synthesized']} phrases, {cold['speech']:.0f} s of speech synthesised "
            f"in {cold['plan']:.1f} s by {os.cpu_count()} speakers = "
            f"{cold['speech'] / cold['plan']:.1f} s of speech per second), warm rebuild "
            f"{warm['wall']:.1f} s ({warm['synthesized']} synthesised) = "
            f"{cold['wall'] / warm['wall']:.1f}x faster"
        )


def bench_refusals(folder: Path) -> None:
    """How fast `validate` refuses: the slowest malformed-corpus file and an absurd dose
    (100 exercises x 20 sets x 200 reps at tempo 0.001), against validating the demo."""

    def seconds(path: Path) -> float:
        started = time.perf_counter()
        with contextlib.suppress(VoiceCoachError):
            pipeline.load(path)
        return time.perf_counter() - started

    demo = min(seconds(pipeline.demo_programme()) for _ in range(3))
    corpus = sorted((ROOT / "tests" / "malformed").glob("*.yaml"))
    slowest = max((seconds(path), path.name) for path in corpus)
    absurd = write(
        folder,
        "absurd.yaml",
        "title: Absurd\nexercises:\n"
        + "  - {name: E, sides: both, sets: 20, reps: 200, tempo: 0.001-0-0.001}\n" * 100,
    )
    print(
        f"refusals: validating the demo takes {demo * 1000:.0f} ms; the slowest of "
        f"{len(corpus)} malformed files ({slowest[1]}) {slowest[0] * 1000:.0f} ms = "
        f"{slowest[0] / demo:.1f}x; the absurd dose {seconds(absurd) * 1000:.0f} ms = "
        f"{seconds(absurd) / demo:.1f}x"
    )


def bench_estimate(folder: Path) -> None:
    """The load-time estimate against the built length of a near-limit programme."""
    from voicecoach.speech.choice import voice_label

    items = "".join(
        f"  - {{name: Exercise {i}, sides: both, sets: 3, reps: 12, tempo: 1-0-1}}\n"
        for i in range(40)
    )
    path = write(folder, "max.yaml", f"title: Near the limit\nexercises:\n{items}")
    programme = pipeline.load(path)
    started = time.perf_counter()
    estimated = compile_programme(programme, estimate_duration).duration
    took = time.perf_counter() - started
    bound = sum(minimum_seconds(ex) for ex in programme.exercises)
    cache = pipeline.open_cache(programme, folder / f"cache-{programme.voice.engine}")
    built = pipeline.plan(programme, cache).duration
    print(
        f"estimate ({voice_label(programme.voice)}, 40 exercises): laid out at load "
        f"{estimated / 60:.1f} min "
        f"(in {took:.2f} s), built {built / 60:.1f} min = {estimated / built:.3f}x; "
        f"the dose-only bound {bound / 60:.1f} min = {bound / built:.2f}x"
    )


def speech_heavy_yaml(exercises: int = 15, lines: int = 30) -> str:
    """About an hour with EXERCISES x LINES distinct setup lines (450 by default)."""
    items = "".join(
        f"  - name: Speech heavy {i + 1}\n    setup:\n"
        + "".join(
            f"      - Setup line {j + 1} of exercise {i + 1}, said slowly.\n" for j in range(lines)
        )
        + "    sets: 2\n    reps: 10\n"
        for i in range(exercises)
    )
    head = "title: Speech heavy\nvoice: {engine: fake}\ndefaults: {rest: 30s}\n"
    return f"{head}exercises:\n{items}"


def largest_yaml(setup: int = 10, said: int = 5) -> str:
    """100 exercises (the limit), each with SETUP setup lines and SAID cues and
    reminders of its own: thousands of distinct lines, a session near the 4-hour limit."""
    doses = [
        "sides: [left, right]\n    sets: 1\n    reps: 6\n    tempo: 2-0-2",
        "sets: 2\n    reps: 3\n    hold: 6s\n    relax: 3s",
        "sides: [left, right]\n    alternate_sides: true\n    sets: 1\n    work: 20s",
        "sets: 2\n    reps: 8",
    ]

    def lines(kind: str, count: int, n: int) -> str:
        return "".join(f"      - {kind} {j + 1} of exercise {n}, in full.\n" for j in range(count))

    items = "".join(
        f"  - name: Exercise number {i + 1}\n"
        f"    setup:\n{lines('Setup step', setup, i + 1)}"
        f"    cues:\n{lines('Cue', said, i + 1)}"
        f"    reminders:\n{lines('Reminder', said, i + 1)}"
        f"    {doses[i % len(doses)]}\n"
        for i in range(100)
    )
    head = "title: The largest programme\nvoice: {engine: fake}\ndefaults: {rest: 10s}\n"
    return f"{head}exercises:\n{items}"


def encode_floor(track: Path, folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds of ffmpeg alone encoding TRACK's audio (decoded beforehand)
    with the build's MP3 settings: the cost no build can go under."""
    from voicecoach.audio.encode import FORMATS

    raw = folder / "floor.raw"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(track),
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            "44100",
            str(raw),
        ],
        check=True,
    )
    before, started = os.times(), time.perf_counter()
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "s16le",
            "-ar",
            "44100",
            "-ac",
            "1",
            "-i",
            str(raw),
            *FORMATS["mp3"].codec_args,
            "-b:a",
            f"{FORMATS['mp3'].bitrate}k",
            "-f",
            "mp3",
            str(folder / "floor.mp3"),
        ],
        check=True,
    )
    wall, after = time.perf_counter() - started, os.times()
    return wall, (after[2] + after[3]) - (before[2] + before[3])


def make_music(path: Path, seconds: float) -> Path:
    """A music file: pink noise under a slow swell, made by ffmpeg (never downloaded)."""
    source = f"anoisesrc=color=pink:duration={seconds}:amplitude=0.3:sample_rate=44100"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source]
        + ["-af", "volume='0.6+0.4*sin(2*PI*t/7)':eval=frame", "-c:a", "libvorbis", str(path)],
        check=True,
    )
    return path


def bench_against_floor(folder: Path, quick: bool) -> None:
    """Warm builds against the ffmpeg floor (median of alternating runs), peak memory."""
    music = make_music(folder / "music.ogg", 180.0)
    cases = [
        ("speech-heavy", write(folder, "heavy.yaml", speech_heavy_yaml())),
        ("2-hour", write(folder, "two-hours.yaml", programme_yaml(20))),
        ("2-hour, music", write(folder, "music.yaml", f"music: {music}\n{programme_yaml(20)}")),
    ]
    if not quick:
        demo = pipeline.demo_programme()
        cases.insert(0, (f"demo, {voice_name(demo)}", demo))
    for label, script in cases:
        cache = folder / "cache-floor"
        out = folder / "floor-track.mp3"
        run_build(script, out, cache)  # warm the phrase cache (and the clip levels)
        builds, singles, floors = [], [], []
        for _ in range(3):
            builds.append(run_build(script, out, cache))
            singles.append(run_build(script, out, cache, encoders=1))
            floors.append(encode_floor(out, folder))
        wall = statistics.median(b["render"] for b in builds)
        cpu = statistics.median(b["cpu"] for b in builds)
        single = statistics.median(b["render"] for b in singles)
        floor_wall = statistics.median(f[0] for f in floors)
        floor_cpu = statistics.median(f[1] for f in floors)
        print(
            f"warm build vs ffmpeg floor ({label}, {builds[0]['duration'] / 60:.0f} min): "
            f"wall {wall:.2f} s vs {floor_wall:.2f} s = {wall / floor_wall:.2f}x, "
            f"CPU {cpu:.2f} s vs {floor_cpu:.2f} s = {cpu / floor_cpu:.2f}x; "
            f"peak memory {max(b['rss_mb'] for b in builds):.0f} MB; with one encoder "
            f"wall {single:.2f} s = {single / floor_wall:.2f}x"
        )


def bench_largest(folder: Path) -> None:
    """The largest programme the limits allow (largest_yaml), fake voice: a cold build
    (fast with the fake engine) fills the cache, then one warm build against the ffmpeg
    floor (one run each: the track is nearly four hours)."""
    script = write(folder, "largest.yaml", largest_yaml())
    cache = folder / "cache-largest"
    out = folder / "largest.mp3"
    cold = run_build(script, out, cache)
    warm = run_build(script, out, cache)
    floor_wall, floor_cpu = encode_floor(out, folder)
    (folder / "floor.raw").unlink()
    print(
        f"largest programme (100 exercises, {warm['duration'] / 3600:.2f} h, "
        f"{warm['phrases']} distinct lines, {warm['events']} sounds, fake voice): warm build "
        f"wall {warm['render']:.1f} s vs floor {floor_wall:.1f} s = "
        f"{warm['render'] / floor_wall:.2f}x, CPU {warm['cpu']:.1f} s vs {floor_cpu:.1f} s = "
        f"{warm['cpu'] / floor_cpu:.2f}x; peak memory {warm['rss_mb']:.0f} MB (target 300 MB); "
        f"cold build {cold['wall']:.1f} s, peak memory {cold['rss_mb']:.0f} MB"
    )


COLD_PAIRS = 3
"""Alternating pairs of cold builds (one speaker, one per core) bench_cold_parallel runs."""


def bench_cold_parallel(folder: Path) -> None:
    """Cold builds of the demo with its default voice (the neural one when installed),
    each from an empty cache: one speaker against one per core, in COLD_PAIRS
    alternating pairs (the order swapped every pair, so a change in the machine's load
    falls on both), medians of each."""
    demo = pipeline.demo_programme()
    engine = pipeline.load(demo).voice.engine or ""
    cores = os.cpu_count() or 1
    runs: dict[int, list[dict]] = {1: [], cores: []}
    load_before = os.getloadavg()[0]
    for pair in range(COLD_PAIRS):
        for speakers in (1, cores) if pair % 2 == 0 else (cores, 1):
            cache = folder / f"cache-cold-{speakers}-{pair}"
            runs[speakers].append(run_build(demo, folder / "cold.mp3", cache, speakers, engine))
    load_after = os.getloadavg()[0]
    one, every = runs[1], runs[cores]
    wall1, wall_n = (statistics.median(r["wall"] for r in rs) for rs in (one, every))
    plan1, plan_n = (statistics.median(r["plan"] for r in rs) for rs in (one, every))
    render1, render_n = (statistics.median(r["render"] for r in rs) for rs in (one, every))
    walls1, walls_n = (", ".join(f"{r['wall']:.1f}" for r in rs) for rs in (one, every))
    print(
        f"cold build ({voice_name(demo)}, demo, {one[0]['synthesized']} phrases, median of "
        f"{COLD_PAIRS} alternating pairs, load {load_before:.1f} -> {load_after:.1f}): one "
        f"speaker {wall1:.1f} s (synthesis {plan1:.1f} s, levels+encode {render1:.1f} s), "
        f"{cores} speakers {wall_n:.1f} s (synthesis {plan_n:.1f} s, levels+encode "
        f"{render_n:.1f} s) = {wall1 / wall_n:.2f}x faster ({plan1 / plan_n:.2f}x for the "
        f"synthesis, {render1 / render_n:.2f}x for levels+encode); every run's wall: one "
        f"{walls1}, {cores} {walls_n}"
    )


def bench_library_jobs(folder: Path) -> None:
    """`library build` of four programmes (warm cache) with -j 1 against -j 2."""
    from voicecoach.library import build_library

    src = folder / "library"
    (src / "programmes").mkdir(parents=True)
    (src / "exercises").mkdir()
    for n in range(4):
        write(src / "programmes", f"p{n}.yaml", programme_yaml(3 + n % 2))
    cache = folder / "cache-library"
    build_library(src, folder / "warm-library", workers=2, cache_dir=cache, report=lambda *a: None)
    seconds = {}
    for jobs in (1, 2):
        started = time.perf_counter()
        build_library(
            src,
            folder / f"library-{jobs}",
            workers=jobs,
            force=True,
            cache_dir=cache,
            report=lambda *a: None,
        )
        seconds[jobs] = time.perf_counter() - started
    print(
        f"library build (4 programmes, warm): -j 1 {seconds[1]:.1f} s, -j 2 {seconds[2]:.1f} s"
        f" = {seconds[1] / seconds[2]:.2f}x faster"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the real-voice build")
    parser.add_argument("--synthesis", action="store_true", help="only the synthesis speeds")
    parser.add_argument(
        "--cold", action="store_true", help="only the cold builds with one speaker vs one per core"
    )
    parser.add_argument(
        "--only",
        metavar="SECTIONS",
        help=f"comma-separated sections to run, in this order: {', '.join(_SECTIONS)}",
    )
    args = parser.parse_args()
    if args.synthesis:
        bench_synthesis()
        return
    if args.cold:
        with tempfile.TemporaryDirectory(prefix="voicecoach-bench-") as tmp:
            bench_cold_parallel(Path(tmp))
        return
    wanted = [name for name in _SECTIONS if not (args.quick and name in _REAL_VOICE)]
    if args.only:
        wanted = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = [name for name in wanted if name not in _SECTIONS]
        if unknown:
            parser.error(f"unknown section {unknown[0]!r}; choose from {', '.join(_SECTIONS)}")
    with tempfile.TemporaryDirectory(prefix="voicecoach-bench-") as tmp:
        folder = Path(tmp)
        for name in wanted:
            _SECTIONS[name](folder, args.quick)


_SECTIONS = {
    "naive": bench_naive,
    "cache": lambda folder, quick: bench_cache(folder),
    "cold": lambda folder, quick: bench_cold_parallel(folder),
    "largest": lambda folder, quick: bench_largest(folder),
    "synthesis": lambda folder, quick: bench_synthesis(),
    "compile": lambda folder, quick: bench_compile(folder),
    "refusals": lambda folder, quick: bench_refusals(folder),
    "memory": lambda folder, quick: bench_render_and_memory(folder),
    "floor": bench_against_floor,
    "library": lambda folder, quick: bench_library_jobs(folder),
    "estimate": lambda folder, quick: bench_estimate(folder),
}
"""Every section of a full run, in its order (`--only` picks some)."""
_REAL_VOICE = ("cache", "cold", "estimate")
"""Sections that need a real voice (left out by --quick)."""


if __name__ == "__main__":
    main()
