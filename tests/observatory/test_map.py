"""The observatory's map: overseas insets drawn (numbers an SVG can read), legend classes that stay distinct,
link names that start with the visible text, a way past the map's links, and the open data page's API routes."""

from __future__ import annotations

import re

import pytest

from maillage.demo.generate import generate
from maillage.observatory import svgmap
from maillage.observatory.models import Cell
from maillage.observatory.refresh import refresh


def test_bins_are_quantiles_when_values_differ():
    values = [float(v) for v in range(1, 11)]
    assert svgmap.bins(values) == [2.0, 4.0, 6.0, 8.0, 10.0]
    assert svgmap.classes(values, svgmap.bins(values)) == [(1.0, 2.0), (3.0, 4.0), (5.0, 6.0), (7.0, 8.0), (9.0, 10.0)]
    assert svgmap.palette(5) == svgmap.PALETTE


def test_bins_merge_classes_when_values_coincide():
    # Nine départements at 28 %, one at 30 %: two classes, not « 28,0 % à 28,0 % » four times.
    values = [28.0] * 9 + [30.0]
    bounds = svgmap.bins(values)
    assert bounds == [28.0, 30.0]
    assert svgmap.classes(values, bounds) == [(28.0, 28.0), (30.0, 30.0)]
    colours = svgmap.palette(len(bounds))
    assert colours == [svgmap.PALETTE[0], svgmap.PALETTE[-1]]
    assert svgmap.colour(28.0, bounds, False) != svgmap.colour(30.0, bounds, False)
    # Values that differ but print alike are one class, keeping all of them.
    close = [28.01, 28.02, 28.04, 28.03, 35.0]
    printed = svgmap.bins(close, key=lambda v: f"{v:.1f}")
    assert printed == [28.04, 35.0]
    assert svgmap.bins([]) == [] and svgmap.bins([5.0]) == [5.0] and svgmap.palette(1) == [svgmap.PALETTE[2]]


def test_inset_attributes_are_svg_numbers():
    insets = [s for s in svgmap.shapes() if s.d is None]
    assert [s.code for s in insets] == ["971", "972", "973", "974", "976"]
    for shape in insets:
        assert all(re.fullmatch(r"\d+(\.\d)?", value) for value in shape.box.values()), shape.box


@pytest.mark.django_db
def test_map_page_draws_insets_and_distinct_legend(client):
    generate(scale=0.0008, seed=11, departement="69")
    generate(scale=0.0004, seed=12, departement="974")
    refresh()
    year = Cell.objects.filter(level="france").order_by("-year").values_list("year", flat=True).first()
    page = client.get("/observatoire/")
    assert page.status_code == 200
    text = page.content.decode()
    svg = text[text.index('<svg viewBox="0 0 613') : text.index("</svg>", text.index('<svg viewBox="0 0 613'))]
    # Under LANGUAGE_CODE fr every float the template prints has a decimal comma: none may reach an attribute.
    numbers = re.findall(r'\s(?:x|y|width|height)="([^"]*)"', svg)
    assert numbers and not [n for n in numbers if "," in n]
    # Overseas: the visible text starts the link's name (RGAA 6.1.5).
    for code, name in svgmap.OVERSEAS:
        link = re.search(rf'<a href="[^"]*/{code}/" aria-label="([^"]+)">.*?<text[^>]*>([^<]+)</text>', svg)
        assert link, code
        label, visible = link.group(1), link.group(2)
        assert visible == f"{name} ({code})" and label.startswith(visible)
    # A way past the map's 101 links, to the table that gives the same values.
    assert 'href="#apres-carte"' in text and 'id="apres-carte"' in text
    assert text.index('href="#apres-carte"') < text.index('<svg viewBox="0 0 613')
    legend = re.search(r'<ul class="legend">(.*?)</ul>', text, flags=re.S).group(1)
    labels = [re.sub(r"<[^>]+>", "", item).strip() for item in legend.split("</li>") if item.strip()]
    assert len(labels) == len(set(labels)) >= 3
    assert not [label for label in labels if re.fullmatch(r"(.+) à \1", label)]
    # Issue 23: each class says how many départements it holds and the base behind their shading.
    classes = re.findall(
        r"<strong>([^<]+)</strong> <span class=\"legend-base\">(\d+) départements?, base ([\d\u202f]+) associations</span>",
        legend,
    )
    others = re.findall(r"(?:secret statistique|aucune donnée) <span class=\"legend-base\">(\d+) département", legend)
    assert len(classes) >= 2 and len(others) == 2
    assert sum(int(n) for _, n, _ in classes) + sum(int(n) for n in others) == len(svgmap.shapes())
    published = Cell.objects.filter(level="departement", year=year, cause="", band="", suppression="")
    assert sum(int(b.replace("\u202f", "")) for _, _, b in classes) == sum(c.associations for c in published)


@pytest.mark.django_db
def test_open_data_page_names_routes_that_answer(client):
    text = client.get("/observatoire/donnees/").content.decode()
    routes = re.findall(r"<code>GET (/api/v1/observatory/[^<]+)</code>", text)
    assert len(routes) == 5, routes  # with the story (coverage, weighted shares, survival)
    assert "<code>/api/v1/observatory/</code>" not in text
    for route in routes:
        url = route.replace("{niveau}/{code}", "departement/69")
        assert client.get(url).status_code == 200, url
