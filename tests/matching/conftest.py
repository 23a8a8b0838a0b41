"""A small territory for matching: an association, companies near and far, and their workspaces."""

from __future__ import annotations

import pytest
from django.utils import timezone

from maillage.core.roles import Role
from maillage.matching import actions
from maillage.organizations.actions import create_organization
from maillage.workspaces.models import Membership, Workspace
from tests.conftest import make_user

_counter = [0]


def fake_siren() -> str:
    """A distinct SIREN with a valid Luhn key."""
    _counter[0] += 1
    payload = str(40_000_000 + _counter[0] * 37)
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return payload + str((10 - total % 10) % 10)


def org(name: str, kind: str, commune: str, causes=("environnement",), **extra):
    data = {"kind": kind, "name": name, "commune": commune, "causes": list(causes), **extra}
    if kind in {"company", "foundation"}:
        data.setdefault("siren", fake_siren())
    return create_organization(data=data)


def workspace_for(organization, email: str, role: str = Role.OWNER):
    workspace = Workspace.objects.create(
        name=f"Espace {organization.name}", organization=organization, verified_at=timezone.now()
    )
    user = make_user(email)
    Membership.objects.create(workspace=workspace, user=user, role=role)
    return workspace, user


def publish(workspace, user, item_type: str, **data):
    defaults = {"title": "Un besoin", "causes": ["environnement"], "territory_level": "commune"}
    if item_type in {"need", "offer"}:
        defaults["kind"] = "skills"
    if item_type == "need":
        defaults["skill_domain"] = "comptabilite"
    if item_type == "offer":
        defaults["skill_domains"] = ["comptabilite"]
    defaults.update(data)
    return actions.create_item(workspace=workspace, user=user, item_type=item_type, data=defaults, publish=True)


@pytest.fixture
def land(db):
    """Association in Villeurbanne; companies in Lyon (same EPCI), Villefranche (same dép.) and Paris."""
    assoc = org("Jardins Solidaires", "association", "69266", budget_band="50k_150k")
    near = org("Comptables de Lyon", "company", "69123", workforce_band="sme")
    mid = org("Comptables du Beaujolais", "company", "69264", workforce_band="sme")
    far = org("Comptables de Paris", "company", "75056", workforce_band="sme")
    ws = {o: workspace_for(o, f"{i}@test.fr") for i, o in enumerate([assoc, near, mid, far])}
    return {"assoc": assoc, "near": near, "mid": mid, "far": far, "ws": ws}
