"""Access matrix of the matching area: suggestions, needs/offers/calls, alerts, alliances started from them."""

from __future__ import annotations

from django.utils import timezone

from tests.access.common import A_READ, A_WRITE, api_expect, expect


def extend_world(world) -> None:
    from maillage.matching import actions
    from maillage.organizations.actions import create_organization
    from maillage.workspaces.models import Workspace

    owner = world["people"]["owner"]
    need = {"title": "Aide comptable", "kind": "skills", "skill_domain": "comptabilite", "causes": ["environnement"]}
    world["need_draft"] = actions.create_item(workspace=world["a"], user=owner, item_type="need", data=need)
    world["need_published"] = actions.create_item(
        workspace=world["a"], user=owner, item_type="need", data=need, publish=True
    )
    company = create_organization(
        data={
            "kind": "company",
            "name": "Comptables Associés",
            "siren": "732829320",
            "commune": "69123",
            "causes": ["environnement"],
        }  # fmt: skip
    )
    company_ws = Workspace.objects.create(name="Espace comptables", organization=company, verified_at=timezone.now())
    world["company"] = company
    world["offer"] = actions.create_item(
        workspace=company_ws,
        user=None,
        item_type="offer",
        data={
            "title": "Comptabilité",
            "kind": "skills",
            "skill_domains": ["comptabilite"],
            "causes": ["environnement"],
        },
        publish=True,
    )


def web_matrix(w) -> dict:
    draft = w["need_draft"].pk
    start = {"target": w["company"].pk, "item_type": "offer", "item_id": w["offer"].pk}
    member_write = expect(viewer=403, member=302, admin=302, owner=302, other_workspace=302)
    return {
        "matching_home": ("get", {}, {}, expect()),
        "matching_start": ("post", {}, start, member_write),
        "matching_alerts": ("get", {}, {}, expect()),
        "matching_origins": ("get", {}, {}, expect()),
        "matching_list": ("get", {"slug": "besoins"}, {"q": "compta", "cause": "environnement"}, expect()),
        "matching_create": ("get", {"slug": "besoins"}, {}, expect(viewer=403)),
        "matching_detail": ("get", {"slug": "besoins", "pk": draft}, {}, A_READ),
        "matching_edit": ("get", {"slug": "besoins", "pk": draft}, {}, expect(viewer=403, other_workspace=404)),
        "matching_status": ("post", {"slug": "besoins", "pk": draft}, {"status": "published"}, A_WRITE),
    }


def api_matrix(w) -> dict:
    read = api_expect(200, 200)
    own = {"kind": "needs", "item_id": w["need_draft"].pk}
    return {
        ("GET", "/api/v1/matching/suggestions"): (read, None, {}),
        ("POST", "/api/v1/matching/suggestions/start"): (api_expect(403, 201), "start", {}),
        ("GET", "/api/v1/matching/origins"): (read, None, {}),
        ("GET", "/api/v1/matching/alerts"): (read, None, {}),
        ("PUT", "/api/v1/matching/alerts"): (api_expect(403, 200), {"active": True, "frequency": "daily"}, {}),
        ("GET", "/api/v1/matching/{kind}"): (read, None, {"kind": "needs"}),
        ("POST", "/api/v1/matching/{kind}"): (api_expect(403, 201), "need", {"kind": "needs"}),
        ("GET", "/api/v1/matching/{kind}/{item_id}"): (api_expect(200, 200, other_workspace=404), None, own),
        ("PATCH", "/api/v1/matching/{kind}/{item_id}"): (
            api_expect(403, 200, other_workspace=404),
            {"title": "Aide comptable annuelle"},
            own,
        ),
        ("POST", "/api/v1/matching/{kind}/{item_id}/status"): (
            api_expect(403, 200, other_workspace=404),
            {"status": "published"},
            own,
        ),
    }


def _start(world, role):
    return {"target": world["company"].pk, "item_type": "offer", "item_id": world["offer"].pk}


def body_for(kind):
    if kind == "start":
        return _start
    if kind == "need":
        return {"title": "Des bras pour le jardin", "kind": "partner", "causes": ["environnement"], "publish": True}
    return kind
