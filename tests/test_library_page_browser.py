"""The library's index page in a real headless chromium at a phone's size: it links each
programme's player page, shows titles (not source paths), and its chapter links seek
the index's own players instead of opening the raw MP3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser_helpers import axe_violations, current_time, open_page, phone_browser, screenshot
from library_helpers import build, make_library, write

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def browser():
    with phone_browser() as context:
        yield context


@pytest.fixture
def errors(browser):
    found: list[str] = []
    yield found
    for page in browser.pages:
        page.close()
    assert found == []


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test library (plus a Dutch programme with a picture), built with a title."""
    src = make_library(tmp_path_factory.mktemp("lib"))
    write(
        src / "programmes" / "knie.yaml",
        """
        title: Knie, week 1
        language: nl
        intro: false
        defaults: {countdown: 0}
        exercises:
          - use: bird-dog
            image: ../pictures/bird-dog.svg
        """,
    )
    write(src / "pictures" / "bird-dog.svg", '<svg xmlns="http://www.w3.org/2000/svg"/>\n')
    run = build(src, tmp_path_factory.mktemp("cache"), "--title", "Clinic North")
    assert run.code == 0, run.stderr
    return src / "output" / "index.html"


def test_chapter_links_seek_the_index_players_without_leaving_the_page(browser, errors, index):
    tracks = json.loads((index.parent / "manifest.json").read_text(encoding="utf-8"))["tracks"]
    page = open_page(browser, index, errors)
    url = page.url
    assert page.locator("h1").inner_text() == "Clinic North"
    assert page.title() == "Clinic North"
    assert "programmes/" not in page.content()
    for slug in ("quick", "evening"):
        chapter = tracks[slug]["chapters"][1]
        link = page.locator(f"#{slug} ol a", has_text=chapter["title"]).first
        assert link.get_attribute("href") == f"{slug}.html#t={chapter['start']:.2f}"
        link.tap()
        player = f"#player-{slug}"
        page.wait_for_function(
            f"Math.abs(document.querySelector('{player}').currentTime - {chapter['start']}) < 0.3"
        )
        assert page.url == url
        assert abs(current_time(page, player) - chapter["start"]) < 0.3
        page.wait_for_function(f"document.querySelector('{player}').paused === false")
    screenshot(page, "library-index-phone")


def test_each_programme_links_its_player_page_and_handout(browser, errors, index):
    page = open_page(browser, index, errors)
    for slug, title in (("quick", "Quick one"), ("knie", "Knie, week 1")):
        assert page.locator(f"#{slug} h2 a").get_attribute("href") == f"{slug}.html"
        assert page.locator(f"#{slug} h2").inner_text() == title
        assert page.locator(f"#{slug} .files a").first.get_attribute("href") == (
            f"{slug}.handout.html"
        )
    page.locator("#knie a.open").tap()
    page.wait_for_url("**/knie.html")
    page.wait_for_function("document.querySelector('audio').readyState >= 1")
    assert page.locator("#list-heading").inner_text() == "Oefeningen"  # the Dutch pack
    assert page.locator("#image").get_attribute("src") == "knie.image-1.svg"
    assert (index.parent / "knie.image-1.svg").is_file()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_index_passes_axe_contrast_and_label_checks(browser, errors, index, scheme):
    page = open_page(browser, index, errors, scheme)
    assert axe_violations(page) == []
