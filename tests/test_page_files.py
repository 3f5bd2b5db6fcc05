"""`image:` checked at load, and the page files a build writes beside its track."""

from __future__ import annotations

import json

import pytest
from core_helpers import fake_measure, load_error, load_text, where, write_yaml

from voicecoach.page import page_files
from voicecoach.page.common import json_for_script
from voicecoach.page.player import page_data
from voicecoach.timeline import compile_programme

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def programme_with(image: str) -> str:
    return f"""
        title: Pictures
        exercises:
          - name: Clamshell
            image: {image}
            reps: 2
        """


def test_an_image_is_found_beside_the_yaml_that_names_it(tmp_path):
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "clam.png").write_bytes(PNG)
    programme = load_text(tmp_path, programme_with("pics/clam.png"))
    assert programme.exercises[0].image == (tmp_path / "pics" / "clam.png").resolve()


def test_a_library_exercise_image_is_relative_to_the_library_file(tmp_path):
    write_yaml(tmp_path, "name: Bird dog\nimage: dog.svg\nreps: 2\n", "exercises/bird-dog.yaml")
    (tmp_path / "exercises" / "dog.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    programme = load_text(tmp_path, "title: T\nexercises:\n  - use: bird-dog\n")
    assert programme.exercises[0].image == (tmp_path / "exercises" / "dog.svg").resolve()


@pytest.mark.parametrize(
    ("image", "content", "message"),
    [
        ("missing.png", None, "image: cannot read"),
        ("clam.bmp", b"BM", "image: expected a PNG, JPEG, GIF, WebP or SVG file, got 'clam.bmp'"),
        ("clam.jpg", PNG, "image: clam.jpg is not a JPG image"),
        ("folder.png", "dir", "image: folder.png is not a file"),
    ],
)
def test_a_bad_image_is_a_located_error(tmp_path, image, content, message):
    if content == "dir":
        (tmp_path / image).mkdir()
    elif content is not None:
        (tmp_path / image).write_bytes(content)
    err = load_error(tmp_path, programme_with(image))
    assert err.message.startswith(message), err.message
    assert where(err) == (4, 12)


def test_an_image_is_no_default(tmp_path):
    err = load_error(
        tmp_path, "title: T\ndefaults: {image: a.png}\nexercises: [{name: A, reps: 1}]\n"
    )
    assert "unknown key 'image' in defaults" in err.message


def test_page_files_copy_each_distinct_image_once(tmp_path):
    (tmp_path / "clam.png").write_bytes(PNG)
    text = """
        title: Two pictures
        exercises:
          - {name: One, image: clam.png, reps: 2}
          - {name: Two, reps: 2}
          - {name: Three, image: clam.png, reps: 2}
        """
    programme = load_text(tmp_path, text)
    timeline = compile_programme(programme, fake_measure)
    files = page_files(programme, timeline, tmp_path / "out" / "two.mp3")
    names = sorted(path.name for path in files)
    assert names == ["two.handout.html", "two.html", "two.image-1.png"]
    assert files[tmp_path / "out" / "two.image-1.png"] == PNG
    data = page_data(programme, timeline, "two.mp3", {0: "two.image-1.png", 2: "two.image-1.png"})
    assert [ex["image"] for ex in data["exercises"]] == ["two.image-1.png", None, "two.image-1.png"]


def test_embedded_data_cannot_close_its_script_element():
    text = json_for_script({"title": "</script><script>alert(1)</script> & <!--"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["title"] == "</script><script>alert(1)</script> & <!--"


def test_the_pages_use_the_programmes_own_wording(tmp_path):
    text = """
        title: Own words
        phrases:
          page_rep_of: "Squat {n}/{total}"
        exercises:
          - name: Squat
            phrases:
              dose_reps: "{sets} rounds of {reps}."
            sets: 2
            reps: 3
        """
    programme = load_text(tmp_path, text)
    timeline = compile_programme(programme, fake_measure)
    spoken = {e.text for e in timeline.speech()}
    data = page_data(programme, timeline, "own.mp3", {})
    assert data["labels"]["page_rep_of"] == "Squat {n}/{total}"
    assert data["exercises"][0]["dose"] in spoken  # the dose as the track says it
    files = page_files(programme, timeline, tmp_path / "own.mp3")
    assert data["exercises"][0]["dose"] in files[tmp_path / "own.handout.html"]


def test_the_demo_shows_a_picture_of_the_clamshell():
    from voicecoach import pipeline

    programme = pipeline.load(None)
    picture = programme.exercises[0].image
    assert picture is not None and picture.name == "clamshell.svg"
    assert b"<svg" in picture.read_bytes()
