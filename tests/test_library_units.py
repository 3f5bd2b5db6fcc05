"""The library's parts without audio: names, fingerprints, manifest, pages, worker pool."""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from library_helpers import write

from voicecoach.errors import SourceLocation, VoiceCoachError
from voicecoach.library import jobs as pool
from voicecoach.library.fingerprint import (
    BuildSettings,
    file_sha256,
    fingerprint,
    settings_digest,
    snapshot_exercises,
)
from voicecoach.library.manifest import (
    TrackEntry,
    manifest_text,
    read_manifest,
)
from voicecoach.library.pages import index_html, playlist_m3u8
from voicecoach.library.sources import discover, inside, output_names, slug_collisions
from voicecoach.speech.base import Clip
from voicecoach.speech.piper_voices import bundled_model
from voicecoach.timeline.clock import clock
from voicecoach.timeline.model import Chapter

TONES = {"go": Clip(np.zeros(10, dtype=np.float32), 44100)}

ENTRY = TrackEntry(
    slug="hips",
    source="programmes/hips.yaml",
    title='Hips <&> "week 1"\nsecond line',
    fingerprint="f" * 64,
    uses=("bird-dog",),
    files=output_names("hips", "mp3"),
    duration=125.6,
    chapters=(Chapter("Intro", 0.0, 5.5), Chapter("Bird <dog>", 5.5, 125.6, exercise=0)),
    voice={"engine": "fake", "name": None, "rate": None},
    built="2026-01-01T00:00:00Z",
)


# --- sources ----------------------------------------------------------------------------


def test_discover_finds_yaml_files_sorted_with_slugs_of_their_stems(tmp_path):
    for name in ("b.yml", "A Hip Day!.yaml", "notes.txt", "Übung.YAML", "._b.yml", ".#a.yaml"):
        write(tmp_path / "programmes" / name, "title: x\n")
    (tmp_path / "programmes" / "folder.yaml").mkdir()
    found = discover(tmp_path)
    assert [(p.path.name, p.slug) for p in found] == [
        ("A Hip Day!.yaml", "a-hip-day"),
        ("b.yml", "b"),
        ("Übung.YAML", "ubung"),
    ]
    assert found[1].relative == "programmes/b.yml"


def test_a_stem_without_letters_or_digits_still_names_a_track(tmp_path):
    write(tmp_path / "programmes" / "!!!.yaml", "title: x\n")
    write(tmp_path / "programmes" / "日本.yaml", "title: x\n")
    slugs = [p.slug for p in discover(tmp_path)]
    assert all(re.fullmatch(r"programme-[0-9a-f]{8}", slug) for slug in slugs)
    assert len(set(slugs)) == 2  # distinct names, no clash


def test_discover_without_programmes_folder_is_an_error(tmp_path):
    with pytest.raises(VoiceCoachError, match="programmes: no such folder"):
        discover(tmp_path)


def test_slug_collisions_name_every_file_involved(tmp_path):
    for name in ("hip day.yaml", "hip-day.yml", "Hip_Day.yaml", "other.yaml"):
        write(tmp_path / "programmes" / name, "title: x\n")
    errors = slug_collisions(discover(tmp_path))
    assert len(errors) == 3
    message = errors[tmp_path / "programmes" / "hip day.yaml"]
    assert "'hip-day'" in message and "hip-day.yml" in message and "Hip_Day.yaml" in message


@pytest.mark.parametrize("name", ["../x.mp3", "/etc/passwd", ".hidden", "a/b.mp3", "", ".."])
def test_inside_refuses_anything_but_a_plain_name(tmp_path, name):
    with pytest.raises(VoiceCoachError, match="refusing"):
        inside(tmp_path, name)


def test_inside_accepts_plain_names(tmp_path):
    assert inside(tmp_path, "hips.timeline.json") == tmp_path / "hips.timeline.json"


# --- fingerprint ------------------------------------------------------------------------


def test_fingerprint_covers_programme_used_exercises_and_settings_only():
    snapshot = {"bird-dog.yaml": "1", "bridge.yml": "2", "unused.yaml": "3"}
    shared = settings_digest(BuildSettings(), TONES)
    uses = ["bird-dog", "bridge"]
    base = fingerprint("p", ["bridge", "bird-dog"], snapshot, shared)
    assert base == fingerprint("p", [*uses, "bird-dog"], snapshot, shared)
    assert base == fingerprint("p", uses, {**snapshot, "unused.yaml": "9"}, shared)
    assert base != fingerprint("q", uses, snapshot, shared)
    assert base != fingerprint("p", uses, {**snapshot, "bridge.yml": "9"}, shared)
    assert base != fingerprint("p", uses, {**snapshot, "bridge.yaml": "9"}, shared)
    assert base != fingerprint("p", ["bird-dog"], snapshot, shared)
    gone = {k: v for k, v in snapshot.items() if k != "bird-dog.yaml"}
    assert base != fingerprint("p", uses, gone, shared)


def test_shared_digest_changes_with_voice_settings_and_tones():
    digests = {
        settings_digest(BuildSettings(), TONES),
        settings_digest(BuildSettings(engine="fake"), TONES),
        settings_digest(BuildSettings(voice="en-gb"), TONES),
        settings_digest(BuildSettings(rate=150), TONES),
        settings_digest(BuildSettings(format="ogg"), TONES),
        settings_digest(BuildSettings(), {"go": Clip(np.ones(10, dtype=np.float32), 44100)}),
    }
    assert len(digests) == 6


@pytest.mark.skipif(bundled_model() is None, reason="needs the [neural] extra's bundled voice")
def test_installing_a_neural_voice_changes_the_digest_unless_an_engine_is_chosen(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("VOICECOACH_VOICES", str(tmp_path))
    before = settings_digest(BuildSettings(), TONES)
    pinned = settings_digest(BuildSettings(engine="pyttsx3"), TONES)
    model = bundled_model()
    (tmp_path / "xx_XX-other-low.onnx").symlink_to(model)
    (tmp_path / "xx_XX-other-low.onnx.json").symlink_to(f"{model}.json")
    assert settings_digest(BuildSettings(), TONES) != before
    assert settings_digest(BuildSettings(engine="pyttsx3"), TONES) == pinned


def test_shared_digest_changes_when_a_phrase_pack_is_reworded(tmp_path, monkeypatch):
    from voicecoach import phrases
    from voicecoach.library import fingerprint as fp

    copy = tmp_path / "phrases"
    copy.mkdir()
    for path in Path(phrases.__file__).parent.glob("*.py"):
        (copy / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(phrases, "__file__", str(copy / "__init__.py"))
    before = fp.settings_digest(BuildSettings(), TONES)
    assert fp.settings_digest(BuildSettings(), TONES) == before
    de = copy / "de.py"
    de.write_text(de.read_text(encoding="utf-8").replace("Gut gemacht.", "Super."), "utf-8")
    assert fp.settings_digest(BuildSettings(), TONES) != before


def test_snapshot_hashes_exercise_files_only(tmp_path):
    write(tmp_path / "a.yaml", "name: A\n")
    write(tmp_path / "b.yml", "name: B\n")
    write(tmp_path / "readme.md", "hello\n")
    snapshot = snapshot_exercises(tmp_path)
    assert sorted(snapshot) == ["a.yaml", "b.yml"]
    assert snapshot["a.yaml"] == file_sha256(tmp_path / "a.yaml")
    assert snapshot_exercises(tmp_path / "missing") == {}
    assert file_sha256(tmp_path / "missing") == "unreadable"


# --- manifest ---------------------------------------------------------------------------


def test_manifest_round_trips(tmp_path):
    other = replace(ENTRY, slug="knees", files=output_names("knees", "mp3"), uses=())
    (tmp_path / "manifest.json").write_text(manifest_text({"knees": other, "hips": ENTRY}))
    assert read_manifest(tmp_path) == {"hips": ENTRY, "knees": other}
    assert list(json.loads((tmp_path / "manifest.json").read_text())["tracks"]) == [
        "hips",
        "knees",
    ]


@pytest.mark.parametrize(
    "text",
    ["", "{not json", "[]", '{"format": "something else", "tracks": {}}', "\udcff"],
)
def test_unreadable_or_foreign_manifest_is_empty(tmp_path, text):
    (tmp_path / "manifest.json").write_text(text, errors="surrogateescape")
    assert read_manifest(tmp_path) == {}


def test_manifest_entries_naming_files_outside_out_are_dropped(tmp_path):
    data = json.loads(manifest_text({"hips": ENTRY}))
    good = data["tracks"]["hips"]
    data["tracks"] = {
        "hips": good,
        "evil": {**good, "files": ["../victim.txt"]},
        "../up": good,
        "broken": {**good, "duration": "long"},
        "empty": {**good, "files": []},
        "bad-chapter": {**good, "chapters": [{**good["chapters"][1], "exercise": "one"}]},
        "no-chapter-object": {**good, "chapters": ["Intro"]},
    }
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    assert list(read_manifest(tmp_path)) == ["hips"]


def test_chapters_written_before_they_carried_their_exercise_read_as_none(tmp_path):
    data = json.loads(manifest_text({"hips": ENTRY}))
    assert [c["exercise"] for c in data["tracks"]["hips"]["chapters"]] == [None, 0]
    for chapter in data["tracks"]["hips"]["chapters"]:
        del chapter["exercise"]
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    chapters = read_manifest(tmp_path)["hips"].chapters
    assert [(c.title, c.exercise) for c in chapters] == [("Intro", None), ("Bird <dog>", None)]


# --- pages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0:00"), (59.9, "0:59"), (61, "1:01"), (3725, "1:02:05")]
)
def test_clock(seconds, text):
    assert clock(seconds) == text


def test_index_escapes_titles_and_parses(tmp_path):
    page = index_html("Clinic <north>", [ENTRY])
    assert page.count("<script") == 1  # the page's own, none from a title
    assert "Hips <&>" not in page and "Bird <dog>" not in page
    assert "Hips &lt;&amp;&gt; &quot;week 1&quot;" in page
    assert "Clinic &lt;north&gt;" in page
    texts: list[str] = []
    parser = HTMLParser()
    parser.handle_data = texts.append  # type: ignore[method-assign]
    parser.feed(page)
    parser.close()
    joined = "".join(texts)
    assert ENTRY.title in joined and "Bird <dog>" in joined and "2:05" in joined
    assert 'href="hips.html#t=5.50" data-player="player-hips" data-start="5.500"' in page
    assert "programmes/hips.yaml" not in page  # no source paths
    assert '<a class="open" href="hips.html">Open the player</a>' in page


def test_index_of_an_empty_library():
    assert "No programmes yet." in index_html("Empty", [])


def test_playlist_keeps_each_title_on_one_line():
    text = playlist_m3u8("Clinic\nnorth", [ENTRY])
    assert text.splitlines() == [
        "#EXTM3U",
        "#PLAYLIST:Clinic north",
        '#EXTINF:126,Hips <&> "week 1" second line',
        "hips.mp3",
    ]


# --- worker -----------------------------------------------------------------------------


def test_located_errors_always_start_with_a_file():
    source = Path("programmes/a.yaml")
    plain = VoiceCoachError("speech engine missing")
    assert pool.located(source, plain) == "programmes/a.yaml: speech engine missing"
    where = VoiceCoachError("bad", SourceLocation("exercises/b.yaml", 3, 4))
    assert pool.located(source, where) == "exercises/b.yaml:3:4: bad"


def _job(tmp_path: Path, slug: str) -> pool.Job:
    return pool.Job(
        source=tmp_path / f"{slug}.yaml",
        slug=slug,
        relative=f"programmes/{slug}.yaml",
        out=tmp_path,
        library=tmp_path,
        programme_sha="x",
        snapshot={},
        settings=BuildSettings(),
        shared="y",
    )


def _fake_build_one(job: pool.Job) -> pool.JobResult:
    if job.slug == "dies":
        os._exit(3)
    return pool.JobResult(replace(ENTRY, slug=job.slug), None, ("careful",))


@pytest.mark.parametrize("workers", [1, 2])
def test_a_worker_that_dies_fails_only_its_own_programme(tmp_path, monkeypatch, workers):
    monkeypatch.setattr(pool, "build_one", _fake_build_one)
    if pool._context().get_start_method() != "fork":
        pytest.skip("the patched build_one only reaches forked workers")
    jobs = [_job(tmp_path, slug) for slug in ("a", "dies", "b")]
    results: dict[str, pool.JobResult] = {}
    pool.run_jobs(jobs, workers, lambda job, result: results.setdefault(job.slug, result))
    assert sorted(results) == ["a", "b", "dies"]
    assert results["a"].entry is not None and results["a"].warnings == ("careful",)
    assert results["dies"].entry is None
    assert results["dies"].error == (
        f"{tmp_path / 'dies.yaml'}: the worker process stopped without a result (exit status 3)"
    )


def test_tracks_finished_but_not_reported_before_an_interruption_are_recorded(tmp_path):
    import time

    from voicecoach.library.builder import INTERRUPTED, _recover_unreported

    since = time.time() - 60
    timeline = {
        "title": "Hips",
        "duration": 12.5,
        "chapters": [{"title": "A", "start": 0, "end": 12.5}],
    }
    for slug in ("fresh", "old"):
        for name in output_names(slug, "mp3"):
            (tmp_path / name).write_text(json.dumps(timeline))
    for name in output_names("old", "mp3"):
        os.utime(tmp_path / name, (since - 10, since - 10))
    entries: dict[str, TrackEntry] = {}
    jobs = [_job(tmp_path, slug) for slug in ("fresh", "old", "missing")]
    _recover_unreported(tmp_path, jobs, entries, since)
    assert list(entries) == ["fresh"]
    entry = entries["fresh"]
    assert entry.fingerprint == INTERRUPTED and entry.files == output_names("fresh", "mp3")
    assert (entry.title, entry.duration, entry.chapters) == (
        "Hips",
        12.5,
        (Chapter("A", 0, 12.5),),
    )


def test_output_names_follow_the_track_format():
    """The library's names are the ones build writes, in whatever format it builds."""
    assert output_names("hips", "ogg") == (
        "hips.ogg",
        "hips.vtt",
        "hips.timeline.json",
        "hips.html",
        "hips.handout.html",
    )
