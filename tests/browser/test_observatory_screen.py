"""The observatory's first screen (issue 23): the map and the five key figures above the fold, on a laptop
(1 280 × 800) and on a phone (390 × 844), on the home page and on a département's page; the tables below.

Screenshots of each page at each size go to ``var/screenshots/issue23/`` (ignored by git) for a person to look at.
The pages opened are checked with axe-core at the end of the test (``tests/browser/conftest.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from maillage.demo.generate import generate
from maillage.observatory.refresh import refresh

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "issue23"
SIZES = [{"width": 1280, "height": 800}, {"width": 390, "height": 844}]


@pytest.fixture
def observatory(settings):
    settings.OBSERVATORY_MIN_AGE_DAYS = 0  # the generated workspaces were verified just now
    generate(scale=0.0008, seed=11, departement="69")
    generate(scale=0.0004, seed=12, departement="974")
    refresh()


def above_the_fold(page, selector: str, height: int) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} absent de {page.url}"
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, (
        f"{selector} de {page.url} sous la ligne de flottaison : {box} (hauteur d'écran {height} px)"
    )
    return box


@pytest.mark.parametrize("url", ["/observatoire/", "/observatoire/departement/69/"])
def test_map_and_five_key_figures_above_the_fold(browser_page, observatory, url):
    page = browser_page
    # The département map's page draws a hundred shapes: on a loaded machine its first load outlasts the default
    # 10 s (navigation only; the axe-core walk at the end uses this context too).
    page.context.set_default_navigation_timeout(60_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        page.set_viewport_size(size)
        page.goto(url)
        name = url.strip("/").replace("/", "-")
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{size['width']}x{size['height']}.png"))
        figures = page.locator(".key-figures > li")
        assert figures.count() == 5
        for i in range(5):
            above_the_fold(page, f".key-figures > li >> nth={i}", size["height"])
        above_the_fold(page, "svg.obs-svg", size["height"])
        if size["width"] >= 1280:  # beside the map on a laptop: its classes and their bases are read at once
            above_the_fold(page, ".obs-map .legend", size["height"])
        # The tables come after the first screen.
        first_table = page.locator("main table").first.bounding_box()
        assert first_table is None or first_table["y"] > size["height"], "un tableau avant la carte"
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") == 0
