"""The demo data set: a believable corner of the Lyon metropolitan area, idempotent (natural keys).

Two accounts, each owning the workspace of its organisation:
- ``demo@maillage.test``: Les Jardins Partagés du Rhône (association);
- ``partenaire@maillage.test``: Imprimerie Rhodanienne (company).
Password of both: ``DEMO_PASSWORD``. The organisations are fictitious; communes and public bodies are real.
"""

from __future__ import annotations

import importlib
import random

from django.db import transaction
from django.utils import timezone

from maillage.core.roles import Role
from maillage.core.text import normalize
from maillage.demo.identifiers import fake_rna, fake_siren, fake_siret
from maillage.demo.steps import DEMO_STEPS
from maillage.organizations.models import Kind, Organization
from maillage.organizations.search import index_organizations
from maillage.territories.models import Commune
from maillage.workspaces.models import Membership, User, Workspace

DEMO_PASSWORD = "jardins-partages-2026"

ORGANIZATIONS = [
    # name, kind, commune, causes, budget band, workforce band, naf
    (
        "Les Jardins Partagés du Rhône",
        Kind.ASSOCIATION,
        "69266",
        ["environnement", "loisirs_vie_sociale"],
        "150k_500k",
        "micro",
        "88.99B",
    ),
    ("Imprimerie Rhodanienne", Kind.COMPANY, "69123", ["environnement", "education_jeunesse"], "", "sme", "18.12Z"),
    ("Banque Solidaire Lyonnaise", Kind.COMPANY, "69123", ["emploi_insertion", "social_sante"], "", "mid", "64.19Z"),
    ("Cabinet Comptable Saône Conseil", Kind.COMPANY, "69123", ["developpement_local"], "", "micro", "69.20Z"),
    ("Transports Ferrand & Fils", Kind.COMPANY, "69259", ["emploi_insertion", "environnement"], "", "sme", "49.41A"),
    (
        "Fondation Confluence pour l'Enfance",
        Kind.FOUNDATION,
        "69123",
        ["education_jeunesse", "social_sante"],
        "gt_500k",
        "micro",
        "88.99B",
    ),
    ("Épicerie Solidaire de Vaulx", Kind.ASSOCIATION, "69256", ["social_sante"], "50k_150k", "micro", "88.99B"),
    (
        "Club Sportif des Gratte-Ciel",
        Kind.ASSOCIATION,
        "69266",
        ["sport", "education_jeunesse"],
        "10k_50k",
        "none",
        "93.12Z",
    ),
    ("Compagnie Théâtrale du Rize", Kind.ASSOCIATION, "69266", ["culture"], "10k_50k", "none", "90.01Z"),
    ("Ressourcerie Lyon Est", Kind.SIAE, "69259", ["emploi_insertion", "environnement"], "150k_500k", "sme", "38.32Z"),
    ("Lycée professionnel Frédéric Fays", Kind.SCHOOL, "69266", ["education_jeunesse"], "", "sme", "85.32Z"),
    (
        "Laboratoire d'économie sociale et solidaire de Lyon",
        Kind.RESEARCH_LAB,
        "69123",
        ["recherche_innovation"],
        "",
        "micro",
        "72.20Z",
    ),
]

ACCOUNTS = [
    ("demo@maillage.test", "Camille Martin", "Les Jardins Partagés du Rhône"),
    ("partenaire@maillage.test", "Yanis Ferrand", "Imprimerie Rhodanienne"),
]


@transaction.atomic
def seed_demo() -> dict[str, int]:
    rng = random.Random(2026)
    communes = {c.code: c for c in Commune.objects.filter(code__in={row[2] for row in ORGANIZATIONS})}
    organizations: dict[str, Organization] = {}
    created = []
    for name, kind, commune_code, causes, budget, workforce, naf in ORGANIZATIONS:
        siren = fake_siren(rng)
        rna = fake_rna(communes[commune_code].departement_id, rng) if kind == Kind.ASSOCIATION else None
        siret = fake_siret(siren, rng)
        commune = communes[commune_code]
        org, was_created = Organization.objects.get_or_create(
            name=name,
            territory_key=None,
            defaults={
                "kind": kind,
                "name_search": normalize(name),
                "siren": siren,
                "siret": siret,
                "rna": rna,
                "naf_id": naf,
                "commune": commune,
                "epci_id": commune.epci_id,
                "departement_id": commune.departement_id,
                "region_id": commune.region_id,
                "budget_band": budget,
                "workforce_band": workforce,
                "description": "Organisation fictive des données de démonstration.",
            },
        )
        if was_created:
            org.causes.set(causes)  # type: ignore[arg-type]  # stub gap: Cause's primary key is its code, a str
            created.append(org)
        organizations[name] = org
    index_organizations(created, replace=False)
    users = 0
    ctx: dict = {"organizations": organizations, "workspaces": {}, "users": {}, "rng": rng}
    for email, full_name, org_name in ACCOUNTS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, DEMO_PASSWORD, full_name=full_name, email_verified_at=timezone.now())
            users += 1
        # The demo's workspaces act for their organisations (decision 0008): verified, as an operator would have.
        workspace, _ = Workspace.objects.get_or_create(
            organization=organizations[org_name],
            defaults={"name": org_name, "contributes_to_observatory": True, "verified_at": timezone.now()},
        )
        Membership.objects.get_or_create(workspace=workspace, user=user, defaults={"role": Role.OWNER})
        ctx["workspaces"][org_name] = workspace
        ctx["users"][email] = user
    for path in DEMO_STEPS:
        module, _, func = path.rpartition(".")
        getattr(importlib.import_module(module), func)(ctx)
    return {"organizations": len(created), "users": users}
