"""A real headless browser for the page tests: Debian's chromium driven by playwright.

Never downloads a browser: it runs /usr/bin/chromium (installed by scripts/setup.sh)
with a fresh profile and no background networking. axe-core (from npm, also installed
by setup.sh) is injected into pages for the accessibility checks. Screenshots go to
tests/output/ (git-ignored) for review.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "tests" / "output"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
"""A phone's viewport in CSS pixels (an iPhone 12-15's)."""


@contextlib.contextmanager
def phone_browser() -> Iterator[BrowserContext]:
    """A phone-sized, touch-enabled chromium with a fresh profile, closed afterwards."""
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        try:
            yield context
        finally:
            context.close()


def open_page(
    context: BrowserContext,
    path: Path,
    errors: list[str],
    color_scheme: str = "light",
    player: bool = True,
    fragment: str = "",
) -> Page:
    """Open PATH from disk in COLOR_SCHEME; script errors and any request that is not for
    a local file go into ERRORS. A PLAYER page is waited for until its audio is loaded."""
    page = context.new_page()
    page.emulate_media(color_scheme=color_scheme)
    page.on("pageerror", lambda err: errors.append(f"script error: {err}"))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on(
        "request",
        lambda req: None if req.url.startswith(("file:", "data:")) else errors.append(req.url),
    )
    page.goto(path.resolve().as_uri() + fragment)
    if player:
        page.wait_for_function("document.querySelector('audio')?.readyState >= 1")
    return page


def seek_audio(page: Page, seconds: float, selector: str = "#audio") -> None:
    """Set the <audio> element's position the way a user's scrubbing does; wait for it."""
    page.evaluate(
        """([selector, t]) => new Promise((done) => {
            const audio = document.querySelector(selector);
            const settle = () => requestAnimationFrame(() => done());
            audio.addEventListener("seeked", settle, {once: true});
            audio.currentTime = t;
        })""",
        [selector, seconds],
    )


def current_time(page: Page, selector: str = "#audio") -> float:
    return page.evaluate("(s) => document.querySelector(s).currentTime", selector)


def axe_violations(page: Page) -> list[dict]:
    """axe-core's WCAG 2 A/AA violations on the page (contrast, labels, names, ...)."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"]},
            });
            return result.violations.map((v) => ({
                id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")),
            }));
        }"""
    )


def screenshot(page: Page, name: str, full_page: bool = False) -> Path:
    """Keep a screenshot for review as tests/output/NAME.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
