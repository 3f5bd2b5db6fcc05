"""`voicecoach library build` end to end: real MP3s from a small library, read back."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from library_helpers import (
    EVENING_TITLE,
    SLUGS,
    build,
    make_library,
    manifest,
    temporaries,
    tree,
    write,
)
from mutagen.id3 import ID3

pytestmark = pytest.mark.skipif(
    subprocess.run(["which", "ffprobe"], capture_output=True).returncode != 0,
    reason="needs ffmpeg/ffprobe",
)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One phrase cache for the module (the fake engine's clips are deterministic)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, cache: Path) -> tuple[Path, object]:
    """The test library, built once (read-only for the tests that use it)."""
    src = make_library(tmp_path_factory.mktemp("lib"))
    return src, build(src, cache)


@pytest.fixture
def library(tmp_path: Path, built: tuple[Path, object]) -> Path:
    """A private copy of the built library, outputs and all (for tests that change it)."""
    return Path(shutil.copytree(built[0], tmp_path / "clinic"))


def ffprobe_duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout)


def summary(stdout: str) -> str:
    return stdout.strip().splitlines()[-1].split(", in ")[0]


def test_first_build_writes_a_track_with_sidecars_per_programme(built):
    src, run = built
    out = src / "output"
    assert run.code == 0, run.stderr
    assert summary(run.stdout) == "built 3, up to date 0, failed 0"
    assert run.stderr == ""
    names = {p.name for p in out.iterdir()}
    kinds = (".mp3", ".vtt", ".timeline.json", ".html", ".handout.html")
    expected = {f"{slug}{ext}" for slug in SLUGS for ext in kinds}
    assert names == expected | {"index.html", "library.m3u8", "manifest.json"}


def test_each_track_lasts_as_long_as_its_timeline_and_has_its_chapters(built):
    src, _ = built
    out = src / "output"
    for slug in SLUGS:
        timeline = json.loads((out / f"{slug}.timeline.json").read_text(encoding="utf-8"))
        assert abs(ffprobe_duration(out / f"{slug}.mp3") - timeline["duration"]) <= 0.05
        tag = ID3(out / f"{slug}.mp3")
        chapters = sorted(tag.getall("CHAP"), key=lambda c: c.start_time)
        assert [c.sub_frames["TIT2"].text[0] for c in chapters] == [
            c["title"] for c in timeline["chapters"]
        ]
        assert [c.start_time for c in chapters] == [
            round(c["start"] * 1000) for c in timeline["chapters"]
        ]


def test_manifest_records_sources_fingerprints_files_and_chapters(built):
    src, _ = built
    tracks = manifest(src / "output")
    assert sorted(tracks) == list(SLUGS)
    assert tracks["quick"]["source"] == "programmes/quick.yml"
    assert tracks["morning"]["uses"] == ["bird-dog"]
    assert tracks["evening"]["uses"] == ["bridge"]
    assert tracks["evening"]["title"] == EVENING_TITLE
    assert tracks["quick"]["files"] == [
        "quick.mp3",
        "quick.vtt",
        "quick.timeline.json",
        "quick.html",
        "quick.handout.html",
    ]
    assert len({t["fingerprint"] for t in tracks.values()}) == 3
    for slug, track in tracks.items():
        timeline = json.loads((src / "output" / f"{slug}.timeline.json").read_text())
        assert track["duration"] == timeline["duration"]
        assert track["chapters"] == timeline["chapters"]
        assert track["voice"]["engine"] == "fake"


class _Page(HTMLParser):
    """Collects the text, tags and URLs of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v for k, v in attrs if k in ("href", "src") and v]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_index_page_lists_every_programme_escaped_and_self_contained(built):
    src, _ = built
    out = src / "output"
    raw = (out / "index.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(raw)
    page.close()
    text = "\n".join(page.text)
    tracks = manifest(out)
    for track in tracks.values():
        assert track["title"] in text
        for chapter in track["chapters"]:
            assert chapter["title"] in text
    assert "&lt;Evening&gt; &amp; &quot;cool-down&quot;" in raw
    assert page.tags.count("script") == 1 and "link" not in page.tags  # its own script only
    assert "programmes/" not in raw  # the index shows titles, not source paths
    assert page.tags.count("audio") == 3 and page.tags.count("article") == 3
    for url in page.urls:
        assert ":" not in url and not url.startswith("/"), url  # relative, no external assets
        assert (out / url.split("#")[0]).is_file(), url
    for slug in SLUGS:
        assert {f"{slug}.mp3", f"{slug}.html", f"{slug}.handout.html"} <= set(page.urls)


def test_playlist_lists_every_track_with_its_length_and_title(built):
    src, _ = built
    out = src / "output"
    lines = (out / "library.m3u8").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#EXTM3U"
    tracks = manifest(out)
    entries = [line for line in lines if not line.startswith("#")]
    assert entries == [f"{slug}.mp3" for slug in SLUGS]
    for slug in SLUGS:
        extinf = lines[lines.index(f"{slug}.mp3") - 1]
        seconds, title = extinf.removeprefix("#EXTINF:").split(",", 1)
        assert int(seconds) == round(tracks[slug]["duration"])
        assert title == tracks[slug]["title"]


def test_second_build_builds_nothing_and_touches_nothing(library, cache):
    before = tree(library)
    run = build(library, cache)
    assert run.code == 0
    assert summary(run.stdout) == "built 0, up to date 3, failed 0"
    assert tree(library) == before


def test_changed_exercise_rebuilds_exactly_the_programmes_using_it(library, cache):
    write(library / "exercises" / "bird-dog.yaml", "name: Bird dog\nreps: 3\ntempo: 1-0-1\n")
    write(library / "exercises" / "unused.yaml", "name: Still unused\nwork: 6s\n")
    evening = tree(library / "output")["evening.mp3"]
    run = build(library, cache)
    assert summary(run.stdout) == "built 2, up to date 1, failed 0"
    assert "built morning.mp3" in run.stdout and "built quick.mp3" in run.stdout
    assert tree(library / "output")["evening.mp3"] == evening
    assert summary(build(library, cache).stdout) == "built 0, up to date 3, failed 0"


def test_changed_programme_or_voice_settings_rebuild(library, cache):
    path = library / "programmes" / "morning.yaml"
    path.write_text(path.read_text() + "  - use: bridge\n")
    run = build(library, cache)
    assert summary(run.stdout) == "built 1, up to date 2, failed 0"
    assert manifest(library / "output")["morning"]["uses"] == ["bird-dog", "bridge"]
    run = build(library, cache, "--rate", "170")
    assert summary(run.stdout) == "built 3, up to date 0, failed 0"


def test_a_new_recording_or_a_new_take_rebuilds_the_programme_using_it(library, cache):
    clips = library / "programmes" / "clips"
    clips.mkdir()
    path = library / "programmes" / "quick.yml"
    path.write_text("recordings: clips\n" + path.read_text())
    assert summary(build(library, cache).stdout) == "built 1, up to date 2, failed 0"
    assert summary(build(library, cache).stdout) == "built 0, up to date 3, failed 0"
    take = clips / "0001-quick-one.wav"
    write_tone(take, 440)
    run = build(library, cache)
    assert summary(run.stdout) == "built 1, up to date 2, failed 0"
    assert "built quick.mp3" in run.stdout
    write_tone(take, 660)
    assert summary(build(library, cache).stdout) == "built 1, up to date 2, failed 0"
    (clips / "notes.txt").write_text("not a clip")
    assert summary(build(library, cache).stdout) == "built 0, up to date 3, failed 0"


def write_tone(path: Path, hz: float) -> None:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine={hz}:d=0.5", str(path)],
        check=True,
    )


def test_force_rebuilds_everything(library, cache):
    run = build(library, cache, "--force")
    assert run.code == 0
    assert summary(run.stdout) == "built 3, up to date 0, failed 0"


def test_a_deleted_output_is_rebuilt(library, cache):
    (library / "output" / "quick.vtt").unlink()
    run = build(library, cache)
    assert summary(run.stdout) == "built 1, up to date 2, failed 0"
    assert (library / "output" / "quick.vtt").is_file()


def test_invalid_programme_is_one_located_error_and_the_rest_are_built(tmp_path, cache):
    src = make_library(tmp_path)
    bad = write(
        src / "programmes" / "broken.yaml",
        "title: Broken\nexercises:\n  - name: Plank\n    wrok: 30s\n",
    )
    write(src / "programmes" / "missing-use.yaml", "title: M\nexercises:\n  - use: nope\n")
    run = build(src, cache)
    assert run.code == 1
    errors = run.stderr.strip().splitlines()
    assert len(errors) == 2, run.stderr
    assert errors[0].startswith(f"error: {bad}:4:5: ")
    assert "wrok" in errors[0]
    assert errors[1].startswith(f"error: {src / 'programmes' / 'missing-use.yaml'}:3:")
    assert summary(run.stdout) == "built 3, up to date 0, failed 2"
    assert sorted(manifest(src / "output")) == list(SLUGS)
    assert not (src / "output" / "broken.mp3").exists()
    # fixed: only it is built next time
    write(bad, "title: Broken\nintro: false\nexercises:\n  - name: Plank\n    work: 2s\n")
    (src / "programmes" / "missing-use.yaml").unlink()
    run = build(src, cache)
    assert run.code == 0, run.stderr
    assert summary(run.stdout) == "built 1, up to date 3, failed 0"


def test_programmes_with_the_same_track_name_are_both_errors(tmp_path, cache):
    src = make_library(tmp_path)
    one = write(src / "programmes" / "Hip Day.yaml", "title: A\nexercises: [{use: bridge}]\n")
    two = write(src / "programmes" / "hip-day.yml", "title: B\nexercises: [{use: bridge}]\n")
    run = build(src, cache)
    assert run.code == 1
    errors = run.stderr.strip().splitlines()
    assert errors == [
        f"error: {one}: the track name 'hip-day' is also made by {two}; rename one of them",
        f"error: {two}: the track name 'hip-day' is also made by {one}; rename one of them",
    ]
    assert summary(run.stdout) == "built 3, up to date 0, failed 2"
    assert not (src / "output" / "hip-day.mp3").exists()


def test_removed_programme_has_its_outputs_removed_and_nothing_else(library, cache):
    out = library / "output"
    (out / "notes.txt").write_text("the clinic's own file")
    (library / "programmes" / "quick.yml").unlink()
    run = build(library, cache)
    assert run.code == 0
    assert summary(run.stdout) == "built 0, up to date 2, failed 0"
    assert "removed quick.mp3 (programmes/quick.yml is gone)" in run.stdout
    names = {p.name for p in out.iterdir()}
    assert not any(name.startswith("quick.") for name in names)
    assert {"notes.txt", "evening.mp3", "morning.mp3"} <= names
    assert "Quick one" not in (out / "index.html").read_text()
    assert "quick.mp3" not in (out / "library.m3u8").read_text()
    assert sorted(manifest(out)) == ["evening", "morning"]


def test_nothing_is_written_outside_the_output_folder(tmp_path, cache):
    src = make_library(tmp_path / "in")
    out = tmp_path / "elsewhere" / "tracks"
    before = tree(tmp_path)
    run = build(src, cache, "-o", str(out))
    assert run.code == 0, run.stderr
    after = tree(tmp_path, skip=(out,))
    assert after == before
    assert (out / "index.html").is_file() and not (src / "output").exists()
    assert temporaries(out) == []


def test_two_workers_build_the_same_tracks(tmp_path, cache, built):
    src = make_library(tmp_path)
    run = build(src, cache, "-j", "2")
    assert run.code == 0, run.stderr
    assert summary(run.stdout) == "built 3, up to date 0, failed 0"
    reference = built[0] / "output"
    for slug in SLUGS:
        name = f"{slug}.timeline.json"
        assert (src / "output" / name).read_bytes() == (reference / name).read_bytes()


def test_leftover_temporaries_of_our_files_are_swept(library, cache):
    out = library / "output"
    ours = out / ".morning.mp3.tmp-0123abcd"
    theirs = out / ".notes.txt.tmp-0123abcd"
    ours.write_bytes(b"partial")
    theirs.write_bytes(b"someone else's")
    build(library, cache)
    assert not ours.exists() and theirs.exists()


def test_missing_programmes_folder_is_one_error(tmp_path, cache):
    run = build(tmp_path, cache)
    assert run.code == 1
    assert run.stderr.startswith(f"error: {tmp_path / 'programmes'}: no such folder")
    assert len(run.stderr.strip().splitlines()) == 1


def test_plan_warnings_are_reported_with_the_programme_file(tmp_path, cache):
    tight = write(
        tmp_path / "programmes" / "tight.yaml",
        """
        title: Tight
        intro: false
        exercises:
          - name: Squat
            sets: 2
            rest: 1s
            countdown: 0
            reps: 1
            tempo: 1-0-1
        """,
    )
    run = build(tmp_path, cache)
    assert run.code == 0
    assert run.stderr.startswith(f"warning: {tight}: ")
    assert "grows from 1s" in run.stderr
