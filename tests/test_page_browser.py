"""The player page in a real headless chromium at a phone's size.

A short programme (reps on two sides, holds, a timed set, a picture) is built once with
the fake voice; the tests open NAME.html from disk and drive its <audio> element.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser_helpers import (
    axe_violations,
    current_time,
    open_page,
    phone_browser,
    screenshot,
    seek_audio,
)
from click.testing import CliRunner

from voicecoach.cli import main

pytestmark = pytest.mark.e2e

PROGRAMME = """\
title: Knee and hip, week 2
exercises:
  - name: Clamshell
    image: clamshell.svg
    setup: [Lie on your side.]
    cues: [Open the top knee.]
    reminders: [Pelvis still.]
    caution: Stop if it hurts.
    sides: [left, right]
    sets: 2
    reps: 3
    tempo: 1-0-2
    rest: 8s
    side_rest: 6s
    countdown: 2
  - name: Bridge
    reps: 2
    hold: 8s
    relax: 4s
    countdown: 2
  - name: Plank
    work: 12s
    countdown: 2
"""

DRAWING = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 60">
<rect width="120" height="60" fill="#e8efe9"/><circle cx="20" cy="30" r="8" fill="#0b6b58"/>
<path d="M28 32h50l20-12" stroke="#0b6b58" stroke-width="6" fill="none"/></svg>
"""


@pytest.fixture(scope="module")
def browser():
    with phone_browser() as context:
        yield context


@pytest.fixture
def errors(browser):
    """Script errors and network requests of the test's pages (there must be none)."""
    found: list[str] = []
    yield found
    for page in browser.pages:
        page.close()
    assert found == []


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """NAME.html and the timeline JSON of the programme, built once with the fake voice."""
    folder = tmp_path_factory.mktemp("page")
    (folder / "knee.yaml").write_text(PROGRAMME, encoding="utf-8")
    (folder / "clamshell.svg").write_text(DRAWING, encoding="utf-8")
    out = folder / "out" / "knee.mp3"
    result = CliRunner().invoke(
        main,
        ["build", str(folder / "knee.yaml"), "-o", str(out), "--engine", "fake", "-q"]
        + ["--cache-dir", str(folder / "cache")],
    )
    assert result.exit_code == 0, result.output
    timeline = json.loads(out.with_suffix(".timeline.json").read_text(encoding="utf-8"))
    return out.with_suffix(".html"), timeline


def rep_middle(timeline: dict, exercise: int, side: str | None, set_: int, rep: int) -> float:
    """The middle of a rep, from the timeline's own tone events (not the page's data)."""
    starts: dict[int, float] = {}
    for event in timeline["events"]:
        where = (event["exercise"], event["side"], event["set"])
        if event["kind"] == "tone" and event["rep"] and where == (exercise, side, set_):
            starts.setdefault(event["rep"], event["start"])
    ends = [e["start"] for e in timeline["events"] if e.get("tone") == "end"]
    start = starts[rep]
    end = starts.get(rep + 1) or min(t for t in ends if t > start)
    return (start + end) / 2


def text(page, selector: str) -> str:
    return page.locator(selector).inner_text().strip()


def visible_texts(page) -> dict[str, str]:
    keys = ["#exercise-number", "#exercise-name", "#side", "#set", "#status", "#big", "#caption"]
    return {k: text(page, k) if page.locator(k).is_visible() else "" for k in keys}


def test_seeking_into_a_rep_shows_its_exercise_side_set_and_rep(browser, built, errors):
    html, timeline = built
    page = open_page(browser, html, errors)
    seek_audio(page, rep_middle(timeline, 0, "right", 2, 2))
    shown = visible_texts(page)
    assert shown["#exercise-number"] == "Exercise 1 of 3"
    assert shown["#exercise-name"] == "Clamshell"
    assert shown["#side"] == "Right side"
    assert shown["#set"] == "Set 2 of 2"
    assert shown["#big"] == "2"
    assert shown["#caption"] == "Rep 2 of 3"
    assert page.locator("#image").get_attribute("src") == "knee.image-1.svg"
    assert page.evaluate("navigator.mediaSession.metadata.artist") == "Clamshell"
    assert page.evaluate("navigator.mediaSession.metadata.title") == "Knee and hip, week 2"
    screenshot(page, "player-phone-rep")

    seek_audio(page, rep_middle(timeline, 0, "left", 1, 3))
    shown = visible_texts(page)
    assert (shown["#side"], shown["#set"], shown["#caption"]) == (
        "Left side",
        "Set 1 of 2",
        "Rep 3 of 3",
    )


def test_holds_timed_sets_and_rests_count_down_their_seconds(browser, built, errors):
    html, timeline = built
    events = timeline["events"]
    hold_go = next(e["start"] for e in events if e["exercise"] == 1 and e.get("tone") == "hold")
    plank_go = next(e["start"] for e in events if e["exercise"] == 2 and e.get("tone") == "go")
    first_end = next(e["start"] for e in events if e.get("tone") == "end")
    page = open_page(browser, html, errors, "dark")
    seek_audio(page, hold_go + 2.5)  # 8 s hold (after its lead-in): 5.5 s left, shown as 6
    shown = visible_texts(page)
    assert shown["#exercise-number"] == "Exercise 2 of 3"
    assert (shown["#status"], shown["#big"], shown["#caption"]) == ("Hold", "6", "Hold 1 of 2")
    assert shown["#side"] == "" and shown["#set"] == ""
    seek_audio(page, plank_go + 4.2)  # 12 s of work: 7.8 s left
    shown = visible_texts(page)
    assert (shown["#exercise-name"], shown["#big"]) == ("Plank", "8")
    assert text(page, "#unit") == "seconds left"
    seek_audio(page, first_end + 1.0)  # the 8 s rest before set 2 on the left
    shown = visible_texts(page)
    assert shown["#status"] == "Rest"
    assert shown["#big"] == "7"
    assert shown["#caption"] == "Next: Set 2 of 2"
    screenshot(page, "player-phone-rest-dark")


def test_tapping_an_exercise_seeks_the_player_without_leaving_the_page(browser, built, errors):
    html, timeline = built
    bridge = timeline["chapters"][2]
    page = open_page(browser, html, errors)
    url = page.url
    page.locator(".ex", has_text="Bridge").tap()
    page.wait_for_function(f"Math.abs(audio.currentTime - {bridge['start']}) < 0.5")
    assert page.url == url
    assert text(page, "#exercise-name") == "Bridge"
    assert page.locator(".ex", has_text="Bridge").get_attribute("aria-current") == "step"

    page.locator("#next").tap()
    assert abs(current_time(page) - timeline["chapters"][3]["start"]) < 0.5
    assert text(page, "#exercise-name") == "Plank"
    page.evaluate("audio.pause()")
    page.locator("#previous").tap()
    assert abs(current_time(page) - bridge["start"]) < 0.5
    assert page.url == url


def test_the_page_plays_and_its_time_moves_on(browser, built, errors):
    html, _ = built
    page = open_page(browser, html, errors)
    page.locator("#play").tap()
    page.wait_for_function("audio.currentTime > 0.5", timeout=10_000)
    assert page.locator("#play").get_attribute("aria-label") == "Pause"
    assert page.evaluate("navigator.mediaSession.playbackState") == "playing"
    page.locator("#play").tap()
    page.wait_for_function("audio.paused && play.getAttribute('aria-label') === 'Play'")


def test_a_time_in_the_address_starts_there(browser, built, errors):
    html, timeline = built
    plank = timeline["chapters"][3]["start"]
    page = open_page(browser, html, errors, fragment=f"#t={plank + 1:.2f}")
    page.wait_for_function(f"Math.abs(audio.currentTime - {plank + 1}) < 0.2")
    assert text(page, "#exercise-name") == "Plank"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_page_passes_axe_contrast_and_label_checks(browser, built, errors, scheme):
    html, timeline = built
    page = open_page(browser, html, errors, scheme)
    for t in (1.0, rep_middle(timeline, 0, "left", 1, 1), timeline["chapters"][2]["start"] + 30):
        seek_audio(page, t)
        assert axe_violations(page) == []
    screenshot(page, f"player-phone-full-{scheme}", full_page=True)


def test_the_handout_lists_every_exercise_as_the_track_says_it(browser, built, errors):
    html, timeline = built
    handout = html.with_suffix(".handout.html")
    spoken = {e["text"] for e in timeline["events"] if e["kind"] == "speech"}
    page = open_page(browser, handout, errors, player=False)
    names = page.locator("h2").all_inner_texts()
    assert names == ["Clamshell", "Bridge", "Plank"]
    doses = page.locator(".dose").all_inner_texts()
    assert doses[0] == "2 sets of 3 reps. On each side. Up for one second, down for 2 seconds."
    assert all(sentence + "." in spoken or sentence in spoken for sentence in split(doses[0]))
    for line in ["Lie on your side.", "Open the top knee.", "Pelvis still.", "Stop if it hurts."]:
        assert page.get_by_text(line, exact=True).count() == 1
    assert page.locator("img").get_attribute("src") == "knee.image-1.svg"
    assert axe_violations(page) == []
    page.emulate_media(media="print")
    assert page.locator(".actions").is_hidden()
    screenshot(page, "handout-print", full_page=True)


def split(sentences: str) -> list[str]:
    return [s.strip() + "." for s in sentences.split(".") if s.strip()]


LOCK_AND_SESSION_PROBES = """
window.__locks = [];
Object.defineProperty(navigator, "wakeLock", {value: {request: async (type) => {
  const lock = {type, released: false, listeners: [],
    addEventListener(name, fn) { this.listeners.push(fn); },
    async release() { this.released = true; this.listeners.forEach((fn) => fn()); }};
  window.__locks.push(lock);
  return lock;
}}});
window.__actions = {};
const setActionHandler = navigator.mediaSession.setActionHandler.bind(navigator.mediaSession);
navigator.mediaSession.setActionHandler = (action, handler) => {
  window.__actions[action] = handler;
  setActionHandler(action, handler);
};
"""
"""Stand-ins the page cannot tell apart: a Wake Lock (headless chromium has none) and a
record of the Media Session action handlers, so a headset's buttons can be pressed."""


def test_headset_buttons_step_chapters_and_the_screen_stays_awake_while_playing(
    browser, built, errors
):
    html, timeline = built
    chapters = timeline["chapters"]
    page = browser.new_page()
    page.add_init_script(LOCK_AND_SESSION_PROBES)
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(html.resolve().as_uri())
    page.wait_for_function("audio.readyState >= 1")
    page.evaluate("window.__actions.nexttrack()")  # the headset's "next" button
    assert abs(current_time(page) - chapters[1]["start"]) < 0.3
    page.evaluate("window.__actions.nexttrack()")
    assert text(page, "#exercise-name") == "Bridge"
    page.evaluate(f"window.__actions.seekto({{seekTime: {chapters[2]['start'] + 10}}})")
    page.evaluate("window.__actions.previoustrack()")  # 10 s in: back to its start
    assert abs(current_time(page) - chapters[2]["start"]) < 0.3
    page.evaluate("window.__actions.previoustrack()")  # at its start: the one before
    assert abs(current_time(page) - chapters[1]["start"]) < 0.3

    page.locator("#play").tap()
    page.wait_for_function("window.__locks.length === 1 && !window.__locks[0].released")
    assert page.evaluate("window.__locks[0].type") == "screen"
    page.evaluate("window.__actions.pause()")
    page.wait_for_function("audio.paused && window.__locks[0].released")
