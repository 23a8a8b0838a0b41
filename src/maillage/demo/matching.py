"""Demo step: needs of the demo association, offers of the demo companies, a call of the Métropole de Lyon.

Idempotent: an item is found again by its workspace and title. Companies that have no account in the demo get a
workspace without members, so that their offers can be published (as they would once they join).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from maillage.matching import actions
from maillage.matching.models import CallForProjects, Need, Offer
from maillage.organizations.models import Organization
from maillage.workspaces.models import Workspace

NEEDS: list[dict[str, Any]] = [
    {"title": "Aide à la comptabilité annuelle", "kind": "skills", "skill_domain": "comptabilite", "hours": 24,
     "causes": ["environnement", "loisirs_vie_sociale"], "territory_level": "commune",
     "description": "Clôture des comptes et préparation du bilan présenté à l'assemblée générale."},
    {"title": "Prêt d'un local pour stocker les outils", "kind": "goods", "causes": ["environnement"],
     "territory_level": "epci", "description": "Un local de 20 m² près des jardins de Villeurbanne."},
    {"title": "Financement d'un jardin pédagogique", "kind": "funding", "amount": Decimal("15000"),
     "causes": ["environnement", "education_jeunesse"], "territory_level": "commune",
     "description": "Un jardin pédagogique avec les écoles du quartier des Gratte-Ciel."},
]  # fmt: skip
OFFERS: dict[str, list[dict[str, Any]]] = {
    "Cabinet Comptable Saône Conseil": [
        {"title": "Mécénat de compétences en comptabilité", "kind": "skills", "skill_domains": ["comptabilite"],
         "hours_per_year": 80, "causes": ["developpement_local", "environnement"], "territory_level": "epci",
         "description": "Nos comptables accompagnent la clôture des comptes des associations."},
    ],
    "Imprimerie Rhodanienne": [
        {"title": "Impression gratuite de supports", "kind": "goods", "causes": ["environnement", "education_jeunesse"],
         "territory_level": "departement", "description": "Affiches et livrets imprimés sur papier recyclé."},
    ],
    "Banque Solidaire Lyonnaise": [
        {"title": "Mécénat financier pour l'insertion", "kind": "funding", "budget": Decimal("40000"),
         "causes": ["emploi_insertion", "social_sante"], "territory_level": "region",
         "description": "Soutien aux projets d'insertion par l'activité économique."},
    ],
    "Fondation Confluence pour l'Enfance": [
        {"title": "Soutien aux projets éducatifs", "kind": "funding", "budget": Decimal("25000"),
         "causes": ["education_jeunesse", "environnement"], "territory_level": "epci",
         "description": "Projets pédagogiques avec les écoles, jardins pédagogiques compris."},
    ],
}  # fmt: skip


def _workspace(ctx: dict, name: str) -> Workspace:
    if name in ctx["workspaces"]:
        return ctx["workspaces"][name]
    organization = ctx["organizations"][name]
    workspace, _ = Workspace.objects.get_or_create(organization=organization, defaults={"name": name})
    return workspace


def seed(ctx: dict) -> None:
    association = ctx["workspaces"]["Les Jardins Partagés du Rhône"]
    for data in NEEDS:
        if not Need.objects.filter(workspace=association, title=data["title"]).exists():
            actions.create_item(workspace=association, user=None, item_type="need", data=dict(data), publish=True)
    for name, offers in OFFERS.items():
        workspace = _workspace(ctx, name)
        for data in offers:
            if not Offer.objects.filter(workspace=workspace, title=data["title"]).exists():
                actions.create_item(workspace=workspace, user=None, item_type="offer", data=dict(data), publish=True)
    metropole = Organization.objects.filter(territory_key="epci:200046977").first()
    if metropole is not None:
        workspace, _ = Workspace.objects.get_or_create(organization=metropole, defaults={"name": metropole.name})
        title = "Nature en ville"
        if not CallForProjects.objects.filter(workspace=workspace, title=title).exists():
            deadline = (timezone.localdate() + timedelta(days=60)).replace(day=1)
            actions.create_item(
                workspace=workspace,
                user=None,
                item_type="call",
                data={
                    "title": title,
                    "causes": ["environnement"],
                    "territory_level": "epci",
                    "budget": Decimal("200000"),
                    "deadline": max(deadline, date(2026, 1, 1)),
                    "description": "Jardins partagés, végétalisation et biodiversité dans les communes de la Métropole.",
                },  # fmt: skip
                publish=True,
            )
    actions.subscribe(workspace=association, user=None, active=True, frequency="weekly", min_score=30)
