"""Accessibility checks shared by the browser tests: axe-core's WCAG 2.1 A/AA rules and the page's width.

axe-core comes with the Python package ``axe-playwright-python`` (nothing is downloaded); it is injected into the
page through DevTools, so the page's Content-Security-Policy does not apply to it.
"""

from __future__ import annotations

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 320, "height": 640}


def axe_version() -> str:
    from axe_playwright_python.base import AXE_SCRIPT

    return AXE_SCRIPT.split("axe v", 1)[1].split()[0]


def axe_violations(page) -> list[str]:
    """The WCAG 2.1 A/AA violations axe-core finds on the page as it is now, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    violations = Axe().run(page, options=options).response["violations"]
    return [
        f"{v['id']} ({v['impact']}) : {v['help']} — "
        + " ; ".join(" ".join(map(str, node["target"])) for node in v["nodes"][:6])
        for v in violations
    ]


def overflow(page) -> int:
    """How many pixels the page is wider than the window (0 when nothing scrolls sideways)."""
    return page.evaluate("Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")


def check_page(page, widths=(DESKTOP, PHONE)) -> list[str]:
    """axe-core at each width, and no sideways scrolling at the phone widths; the problems found, with the URL."""
    problems = []
    for size in widths:
        page.set_viewport_size(size)
        page.wait_for_load_state()
        where = f"{page.url} à {size['width']} px"
        problems += [f"{where} : {v}" for v in axe_violations(page)]
        if size["width"] < DESKTOP["width"] and (extra := overflow(page)):
            problems.append(f"{where} : la page déborde de {extra} px")
    page.set_viewport_size(DESKTOP)
    return problems
