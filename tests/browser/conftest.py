"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

No browser is ever downloaded (``playwright install`` is not used): the tests run the system Chromium at
``/usr/bin/chromium`` and are skipped when it is absent, except on CI (``CI=true``) where they fail.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING_CHROMIUM = (
    "Chromium introuvable (/usr/bin/chromium) : tests navigateur ignorés ; installez le paquet Debian chromium"
)
TIMEOUT_MS = 10_000

# Playwright's sync API keeps an asyncio event loop in the test thread; Django would then refuse the
# ORM calls the test makes (SynchronousOnlyOperation). The live server answers from its own thread.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def _unavailable(reason: str) -> None:
    """Skip the test, or fail it on CI (``CI=true``) where the browser tests must run."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} ; CI=true : ils ne peuvent pas être ignorés en intégration continue", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item):
    # Decide before the fixtures run, so that a skipped test does not first build the test database.
    if item.get_closest_marker("browser") and not CHROMIUM.exists():
        _unavailable(MISSING_CHROMIUM)


@pytest.fixture
def chromium() -> Iterator[object]:
    """A headless Chromium (the Debian package), closed after the test."""
    if not CHROMIUM.exists():
        _unavailable(MISSING_CHROMIUM)
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable("Le paquet Python playwright manque : installez les dépendances de dev (pip install -e '.[dev]')")
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# Every page reports its Content-Security-Policy violations to the console, where the fixture below collects
# them (Chromium also logs its own "Refused to …" errors there). Injected by the browser (DevTools), not by the
# page, so the policy does not apply to this listener itself.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""
CSP_MARKERS = ("CSP violation", "Content Security Policy", "Content-Security-Policy")


def csp_violations(messages: list[str]) -> list[str]:
    return [m for m in messages if any(marker in m for marker in CSP_MARKERS)]


# Pages that are not Maillage's own markup: django-ninja's Swagger UI (declared « non vérifiée » in the
# accessibility statement) and the JSON/CSV answers of the API.
NOT_OURS = re.compile(r"/api/v1/")


def _axe_walk(context, urls: list[str]) -> list[str]:
    """axe-core (WCAG 2.1 A/AA) at 1 280 px and 390 px, and the page's width at 390 px, on every page the test
    opened, visited again in the same context (same person) at the end of the test: GET pages that still answer
    200 in HTML; downloads and pages gone since (a cancelled invitation, a log-out) are passed over."""
    from tests.browser.a11y import check_page

    problems: list[str] = []
    try:
        page = context.new_page()
    except Exception:  # the test closed this context itself
        return problems
    try:
        for url in urls:
            if NOT_OURS.search(url):
                continue
            try:
                response = page.goto(url)
            except Exception:  # a download (PDF, CSV) is not a page
                continue
            if (
                response is None
                or response.status != 200
                or "text/html" not in response.headers.get("content-type", "")
            ):
                continue
            if page.url.rstrip("/") != url.rstrip("/"):  # redirected elsewhere (logged out, object gone)
                continue
            if not response.text().lstrip().lower().startswith("<!doctype html"):  # an htmx fragment, not a page
                continue
            problems += check_page(page)
    finally:
        page.close()
    return problems


@pytest.fixture
def new_browser_page(chromium, live_server, request) -> Iterator[Callable[[], object]]:
    """Open a page in a fresh browser context (its own cookies, i.e. another person) on the live server.

    At the end of the test, any Content-Security-Policy violation seen by any page of these contexts fails it:
    an inline script, an on*="" handler, an inline style, an eval (htmx's hx-on) are all refused by the policy.
    Every page the test opened is then checked with axe-core at 1 280 px and 390 px (``_axe_walk``), unless the
    test is marked ``no_axe_walk`` (a test that checks its pages itself, tests/browser/test_accessibility.py).
    """
    contexts = []
    console: list[str] = []
    visited: dict[object, list[str]] = {}

    def remember(context, frame) -> None:
        if frame.parent_frame is None and frame.url.startswith(live_server.url):
            urls = visited.setdefault(context, [])
            if frame.url not in urls:
                urls.append(frame.url)

    def open_page():
        context = chromium.new_context(
            base_url=live_server.url, locale="fr-FR", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", lambda message: console.append(f"{message.type}: {message.text} ({message.location})"))
        contexts.append(context)
        page = context.new_page()
        page.on("framenavigated", lambda frame: remember(context, frame))
        return page

    open_page.console = console  # what the pages logged so far (a test may read, then clear it)
    yield open_page
    problems: list[str] = []
    try:
        if not request.node.get_closest_marker("no_axe_walk"):
            for context in contexts:
                problems += _axe_walk(context, visited.get(context, []))
    finally:
        for context in contexts:
            with contextlib.suppress(Exception):  # closed by the test already
                context.close()
    violations = csp_violations(console)
    assert not violations, "Content-Security-Policy violée :\n" + "\n".join(violations)
    assert not problems, "Accessibilité (axe-core, largeur de page) :\n" + "\n".join(problems)


@pytest.fixture
def browser_page(new_browser_page):
    """A Playwright page whose relative URLs go to pytest-django's (transactional) live server."""
    return new_browser_page()
