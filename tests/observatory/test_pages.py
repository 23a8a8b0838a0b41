"""Public pages, open data and API of the observatory, a workspace's position, the staff refresh."""

from __future__ import annotations

import csv
import io
import re

import pytest

from maillage.demo.generate import generate
from maillage.observatory.models import Cell, RefreshRun
from maillage.observatory.refresh import refresh
from maillage.workspaces.models import Workspace
from tests.conftest import client_for, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(db):
    generate(scale=0.0008, seed=11, departement="69")
    generate(scale=0.0004, seed=12, departement="974")
    refresh()
    return Cell.objects.filter(level="france").order_by("-year").values_list("year", flat=True).first()


def test_public_pages_without_login(client, data):
    page = client.get("/observatoire/")
    assert page.status_code == 200
    text = page_text(page)
    assert "Avec au moins une entreprise" in text and "Recherches & Solidarités" in text
    # The map: every metropolitan département a focusable link named with its value, overseas in insets.
    links = re.findall(r'<a href="/observatoire/departement/(\w+)/" aria-label="([^"]+)"', text)
    codes = {code for code, _ in links}
    assert {"01", "2A", "69", "971", "974", "976"} <= codes and len(codes) >= 101
    rhone = next(label for code, label in links if code == "69")
    assert rhone.startswith("Rhône (69) : ") and "%" in rhone
    assert next(label for code, label in links if code == "01").endswith("aucune donnée")
    assert "CC-BY-4.0" in text and "Tableau des départements" in text
    dep = client.get("/observatoire/departement/69/", {"annee": data, "cause": "sport"})
    assert dep.status_code == 200 and "Rhône" in page_text(dep)
    assert client.get("/observatoire/commune/69123/").status_code == 200
    assert client.get("/observatoire/region/84/").status_code == 200


def test_bad_input_never_breaks_a_page(client, data):
    assert (
        client.get("/observatoire/", {"annee": "abc", "cause": "<x>", "budget": "zz", "indicateur": "?"}).status_code
        == 200
    )
    assert client.get("/observatoire/departement/999/").status_code == 404
    assert client.get("/observatoire/planete/1/").status_code == 404
    assert client.get("/observatoire/donnees/cases.json", {"niveau": "x", "page": "-3"}).status_code == 200
    assert client.get("/api/v1/observatory/cells", {"level": "x"}).status_code == 422
    assert client.get("/api/v1/observatory/cells", {"cause": "sport", "band": "lt_10k"}).status_code == 422
    assert client.get("/api/v1/observatory/territories/region/00").status_code == 404


def test_open_data_csv_json_and_api_agree(client, data):
    response = client.get("/observatoire/donnees/cases.csv", {"niveau": "departement", "annee": data})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_code = {r["code"]: r for r in rows}
    assert by_code["69"]["published"] == "True" and int(by_code["69"]["associations"]) >= 5
    body = client.get("/api/v1/observatory/cells", {"level": "departement", "year": data}).json()
    api_69 = next(c for c in body["cells"] if c["code"] == "69")
    assert api_69["associations"] == int(by_code["69"]["associations"])
    assert any(d["code"] == "company" and d["reference"] == 0.28 for d in body["definitions"])
    assert any("5 associations" in rule for rule in body["rules"])
    secret = [r for r in rows if r["suppression"]]
    assert all(r["associations"] == "" and r["money"] == "" for r in secret)
    api_csv = client.get("/api/v1/observatory/cells.csv", {"level": "departement", "year": data})
    assert api_csv.content == response.content
    definitions = client.get("/observatoire/donnees/definitions.json").json()
    assert {i["code"] for i in definitions["indicators"]} >= {"kinds_per_association", "form_mecenat", "money"}


def test_pages_cost_a_fixed_number_of_queries(client, data, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        client.get("/observatoire/")
    # 16: the figures, the map's focus (issue 23's first screen) and the three reads of coverage, weighted shares
    # and survival; the same before and after a whole département is added.
    with django_assert_max_num_queries(16):
        client.get("/observatoire/departement/69/")
    generate(scale=0.0016, seed=13, departement="69")
    refresh()
    with django_assert_max_num_queries(12):
        client.get("/observatoire/")
    # 16: the figures, the map's focus (issue 23's first screen) and the three reads of coverage, weighted shares
    # and survival; the same before and after a whole département is added.
    with django_assert_max_num_queries(16):
        client.get("/observatoire/departement/69/")
    with django_assert_max_num_queries(3):
        client.get("/api/v1/observatory/cells", {"level": "commune"})


def test_a_workspace_sees_its_position(data):
    from maillage.workspaces.models import Membership, User

    workspace = Workspace.objects.filter(name__startswith="Espace synthétique").order_by("id").first()
    user = User.objects.create_user("pos@x.test", "mot-de-passe-solide-42", full_name="Pos")
    Membership.objects.create(workspace=workspace, user=user, role="viewer")
    client = client_for(user)
    session = client.session
    session["workspace_id"] = workspace.pk
    session.save()
    page = client.get("/observatoire/mon-espace/")
    assert page.status_code == 200
    text = page_text(page)
    assert "Votre département (69)" in text and "Types de partenaires par association" in text


def test_staff_page_publishes_only_on_the_cadence(settings, data):
    """Issue 23: the staff page no longer publishes off the weekly cadence (decision 0013): it refuses, saying why
    and when the next snapshot is due, unless today is the cadence's day and nothing was published yet today."""
    from datetime import timedelta

    from django.utils import timezone

    from maillage.workspaces.models import User

    staff = User.objects.create_user("staff@x.test", "mot-de-passe-solide-42", full_name="Staff", is_staff=True)
    client = client_for(staff)
    today = timezone.localdate()
    before = RefreshRun.objects.count()

    settings.OBSERVATORY_SNAPSHOT_WEEKDAY = (today.weekday() + 2) % 7  # the day after tomorrow
    page = client.post("/observatoire/actualiser/", follow=True)
    text = page_text(page)
    assert "Publication hors calendrier refusée" in text and "pas le jour de publication" in text
    assert f"{today + timedelta(days=2):%d/%m/%Y}" in text and "Publier l'instantané" not in text
    assert RefreshRun.objects.count() == before

    settings.OBSERVATORY_SNAPSHOT_WEEKDAY = today.weekday()  # the day, but the fixture published today already
    text = page_text(client.post("/observatoire/actualiser/", follow=True))
    assert "Un instantané a déjà été publié aujourd" in text and f"{today + timedelta(days=7):%d/%m/%Y}" in text
    assert RefreshRun.objects.count() == before

    RefreshRun.objects.update(finished_at=timezone.now() - timedelta(days=7))  # last week's snapshot
    assert "Publier l'instantané prévu aujourd'hui" in page_text(client.get("/observatoire/actualiser/"))
    assert client.post("/observatoire/actualiser/").status_code == 302
    assert RefreshRun.objects.count() == before + 1
    assert RefreshRun.objects.first().status == "done"
    assert "Dernières actualisations" in page_text(client.get("/observatoire/actualiser/"))


def first_screen(text: str) -> str:
    """The page from its title to the end of the first screen's block (the key figures and the map)."""
    start = text.index("<h1>")
    return text[start : text.index('<p class="lead">', start)]


def test_the_first_screen_answers_how_alliances_stand(client, data):
    """Issue 23: title, five key figures and the map first; the filters and the tables after. France's figures
    beside the published survey, a département's beside its région and France, on a map of its région."""
    text = page_text(client.get("/observatoire/"))
    first = first_screen(text)
    assert "<table" not in first and "<form" not in first
    figures = re.findall(r'<span class="kf-label">([^<]+)</span> <strong class="kf-value">([^<]+)</strong>', first)
    assert [label for label, _ in figures] == [
        "Associations comptées",
        "Types de partenaires par association",
        "Avec une collectivité",
        "Avec une entreprise",
        "Reliant entreprise et acteur public",
    ]
    assert "Enquête 2016</abbr> : 28,0 %" in first and first.index("kf-label") < first.index("<svg")
    assert len(re.findall(r'<a href="/observatoire/departement/\w+/" aria-label=', first)) == 101
    assert text.index('id="filtres"') > text.index("</svg>")

    dep = first_screen(page_text(client.get(f"/observatoire/departement/69/?annee={data}")))
    assert "Auvergne-Rhône-Alpes : " in dep and "France : " in dep
    drawn = set(re.findall(r'<a href="/observatoire/departement/(\w+)/" aria-label=', dep))
    assert drawn == {"01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"}
    assert re.search(r'aria-label="Rhône \(69\) : [^"]+ \(territoire affiché\)" class="current"', dep)


def test_network_figures_never_read_zero_percent(client, data):
    """Issue 23: the company-link density read « 0,0 % » nationally. It is right (links ÷ associations × linked
    companies falls as the territory grows) but too small for « x,x % »: a figure that is not zero keeps two
    significant digits, the open data keeps four, and the page leads with the per-association and per-company
    figures, which compare across territories."""
    from maillage.observatory.indicators import BY_CODE, format_value

    density = BY_CODE["density_company"]
    assert format_value(1.7e-5, density) == "0,0017 %" and format_value(0.25, density) == "25,0 %"
    text = page_text(client.get("/observatoire/"))
    network = text.split("<h2>Réseau de coopération</h2>")[1].split("</ul>")[0]
    assert "Entreprises partenaires par association : " in network
    assert "Associations partenaires par entreprise liée : " in network
    assert "Densité des liens associations–entreprises : " in network and " 0,0 %" not in network
    rows = csv.DictReader(
        io.StringIO(client.get("/observatoire/donnees/cases.csv", {"niveau": "france"}).content.decode())
    )
    densities = [float(r["density_company"]) for r in rows if r["density_company"]]
    assert densities and all(d > 0 for d in densities)


def test_a_departement_beside_its_region_and_france_and_only_published_communes(client, data):
    """Issue 23: the département page compares five key figures with its région and France, and lists only the
    communes where something is published (the secret ones are counted)."""
    page = client.get(f"/observatoire/departement/69/?annee={data}")
    text = page_text(page)
    table = text.split('<table class="comparison">')[1].split("</table>")[0]
    assert "Rhône" in table and "Auvergne-Rhône-Alpes" in table and "France" in table
    assert "Avec au moins une entreprise" in table and "Types de partenaires par association" in table
    listed = re.findall(r'<a href="/observatoire/commune/(\w+)/">[^<]+</a> : ([^<]+)</li>', text)
    assert listed and all(value.endswith("associations") for _, value in listed)
    secret = Cell.objects.filter(level="commune", year=data, code__startswith="69").exclude(suppression="").count()
    assert secret and f"{secret} autres communes comptent trop peu" in text
