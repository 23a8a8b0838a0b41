"""What is loaded equals the source: @etalab/decoupage-administratif 6.0.0 and @socialgouv/codes-naf 1.1.1."""

from __future__ import annotations

import csv

import pytest
from django.core.management import call_command

from maillage.organizations.models import Kind, Organization
from maillage.territories.loader import DATA_DIR
from maillage.territories.models import Commune, Departement, Epci, Naf, Region, Zone

pytestmark = pytest.mark.django_db


def rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_level_is_loaded_as_in_the_shipped_files():
    assert Region.objects.count() == len(rows("regions.csv")) == 26
    assert Departement.objects.count() == len(rows("departements.csv")) == 109
    assert Epci.objects.count() == len(rows("epci.csv")) == 1255
    assert Commune.objects.count() == len(rows("communes.csv"))
    assert Naf.objects.count() == len(rows("naf.csv"))


def test_counts_match_the_official_geography():
    # 18 régions and 101 départements (metropolitan + DROM); the COM are kept apart (zone "com").
    assert Region.objects.exclude(zone=Zone.COM).count() == 18
    assert Departement.objects.exclude(zone=Zone.COM).count() == 101
    assert Commune.objects.filter(kind=Commune.Kind.COMMUNE).count() == 34969
    assert Commune.objects.filter(kind=Commune.Kind.COMMUNE).exclude(zone=Zone.COM).count() == 34875
    assert Commune.objects.filter(kind=Commune.Kind.ARRONDISSEMENT).count() == 45


def test_known_communes():
    lyon = Commune.objects.get(code="69123")
    assert lyon.name == "Lyon" and lyon.siren == "216901231" and lyon.epci_id == "200046977"
    assert lyon.departement_id == "69" and lyon.region_id == "84"
    villeurbanne = Commune.objects.get(code="69266")
    assert villeurbanne.postal_code_list == ["69100"]
    assert villeurbanne.population > 150000


def test_corsica_uses_2a_and_2b():
    ajaccio = Commune.objects.get(code="2A004")
    assert ajaccio.name == "Ajaccio" and ajaccio.departement_id == "2A" and ajaccio.region_id == "94"
    assert Commune.objects.get(code="2B033").name == "Bastia"
    assert not Commune.objects.filter(code__startswith="20").exists()
    assert Departement.objects.get(code="2B").name == "Haute-Corse"


def test_overseas_departements_and_collectivities():
    assert set(Departement.objects.filter(zone=Zone.DROM).values_list("code", flat=True)) == {
        "971",
        "972",
        "973",
        "974",
        "976",
    }
    assert Commune.objects.get(code="97411").name == "Saint-Denis"
    assert Commune.objects.get(code="97411").region.name == "La Réunion"
    assert Region.objects.get(code="06").name == "Mayotte"
    assert Commune.objects.get(code="97502").zone == Zone.COM  # Saint-Pierre (Saint-Pierre-et-Miquelon)


def test_paris_lyon_marseille_arrondissements_point_to_their_commune():
    paris = Commune.objects.get(code="75056")
    assert paris.arrondissements.count() == 20
    assert Commune.objects.get(code="69381").parent_id == "69123"
    assert Commune.objects.get(code="13201").parent_id == "13055"
    assert Commune.objects.filter(code="13201", siren="").exists()  # the commune is the legal body
    assert Commune.objects.get(code="75101").departement_id == "75"


def test_every_public_body_exists_from_the_start():
    assert Organization.objects.filter(kind=Kind.COMMUNE).count() == 34969
    assert Organization.objects.filter(kind=Kind.EPCI).count() == 1255
    assert Organization.objects.filter(kind=Kind.DEPARTEMENT).count() == 101
    assert Organization.objects.filter(kind=Kind.REGION).count() == 18
    lyon = Organization.objects.get(territory_key="commune:69123")
    assert lyon.siren == "216901231" and lyon.population > 500000 and lyon.region_id == "84"
    metropole = Organization.objects.get(territory_key="epci:200046977")
    assert metropole.siren == "200046977" and "Lyon" in metropole.name
    assert Organization.objects.get(territory_key="departement:2A").name == "Département Corse-du-Sud"
    assert not Organization.objects.filter(territory_key="commune:75101").exists()  # arrondissement: a place


def test_naf_nomenclature():
    assert Naf.objects.get(code="88.99B").label.startswith("Action sociale sans hébergement")
    assert Naf.objects.filter(code__regex=r"^[0-9]{2}\.[0-9]{2}[A-Z]$").count() == 732


def test_loading_is_idempotent():
    before = (Commune.objects.count(), Organization.objects.count())
    call_command("load_territories", "--force", verbosity=0)
    call_command("load_territories", verbosity=0)
    assert (Commune.objects.count(), Organization.objects.count()) == before
