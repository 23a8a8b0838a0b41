"""Access matrix of the evaluation and diagnostic areas: every page and API route, every visitor.

World: an alliance of A's association with a company (its own workspace), an open 2025 evaluation, and A's 2025
figures in the diagnostic. B is not a party: every object of A answers 404 to B.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from maillage.alliances.actions import add_party, create_alliance
from maillage.diagnostic.actions import save_resource_year
from maillage.evaluation.actions import create_response_link, declare_objective, open_evaluation
from maillage.organizations.actions import create_organization
from maillage.workspaces.models import Workspace
from tests.access.common import A_READ, A_WRITE, PUBLIC, api_expect, expect

SEND_ALL = {
    "perf_model": 4,
    "perf_resources": 3,
    "perf_capacity": 4,
    "innov_solution": 3,
    "innov_scale": 2,
    "trust_evolution": 4,
    "trust_collective": 3,
    # Version 2 of the questionnaire (decision 0017).
    "innov_needs": 3,
    "trust_kept": 4,
    "rel_balance": 3,
    "rel_listened": 4,
    "rel_governance": 3,
    "rel_attribution": "nsp",
}


def extend_world(world) -> None:
    owner = world["people"]["owner"]
    company = create_organization(data={"kind": "company", "name": "Entreprise partenaire de A"})
    workspace_c = Workspace.objects.create(name="Espace C", organization=company, verified_at=timezone.now())
    alliance = create_alliance(
        workspace=world["a"],
        user=owner,
        name="Alliance évaluée de A",
        forms=["mecenat_financier"],
        partners=[(company, "partner", "")],
    )
    party = alliance.parties.get(organization=company)
    party.workspace, party.joined_at = workspace_c, timezone.now()
    party.save()
    # A party without a Maillage workspace, answering through a personal link.
    outside = create_organization(data={"kind": "foundation", "name": "Fondation sans compte"})
    add_party(alliance=alliance, workspace=world["a"], user=owner, organization=outside, role="partner")
    world["outside_party"] = alliance.parties.get(organization=outside)
    world["eval_alliance"] = alliance
    world["eval_party_a"] = alliance.parties.get(workspace=world["a"])
    world["evaluation"] = open_evaluation(
        alliance=alliance,
        workspace=world["a"],
        user=owner,
        period_label="Année 2025",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
    )
    record = save_resource_year(
        workspace=world["a"],
        user=owner,
        year=2025,
        resources={"public_subsidies": "1000", "gifts": "500"},
        funders=[("Entreprise partenaire de A", "gifts", "500", company.pk)],
    )
    world["funder"] = record.funders.get()  # already a party of A's alliance: « linked », nothing created
    world["link"], world["link_token"] = create_response_link(
        evaluation=world["evaluation"],
        party=world["outside_party"],
        workspace=world["a"],
        user=owner,
        email="maire@sans-compte.test",
        url_for=lambda token: f"/evaluations/reponse/{token}/",
    )
    world["objective"] = declare_objective(
        alliance=alliance,
        workspace=world["a"],
        user=owner,
        common_good=True,
        title="Rompre l'isolement",
        indicator="Personnes visitées",
        unit="personnes",
        baseline="0",
        target="100",
        period_start=date(2025, 1, 1),
        period_end=date(2026, 12, 31),
    )


def web_matrix(w) -> dict:
    e = {"evaluation_id": w["evaluation"].pk}
    own_data_write = expect(viewer=403, member=302, admin=302, owner=302, other_workspace=302)
    return {
        "evaluation_list": ("get", {}, {}, expect()),
        "evaluation_open": (
            "post",
            {},
            {
                "alliance": w["eval_alliance"].pk,
                "period_label": "Année 2026",
                "period_start": "2026-01-01",
                "period_end": "2026-12-31",
            },
            A_WRITE,
        ),
        "evaluation_detail": ("get", e, {}, A_READ),
        "evaluation_answer": (
            "post",
            e,
            {"party": w["eval_party_a"].pk, "perf_model": "3", "action": "draft"},
            A_WRITE,
        ),
        "evaluation_share": ("post", e, {"shared": "1"}, A_WRITE),
        "evaluation_remind": ("post", e, {}, A_WRITE),
        "evaluation_report": ("get", e, {}, A_READ),
        "evaluation_report_pdf": ("get", e, {}, A_READ),
        # Public: the personal link of a party without an account (the token is the only key, 256 bits).
        "evaluation_outside": ("get", {"token": w["link_token"]}, {}, PUBLIC),
        "evaluation_link": (
            "post",
            e,
            {"party": w["outside_party"].pk, "email": "adjoint@sans-compte.test"},
            A_WRITE,
        ),
        "evaluation_link_revoke": ("post", {**e, "link_id": w["link"].pk}, {}, A_WRITE),
        "evaluation_objectives": ("get", {"alliance_id": w["eval_alliance"].pk}, {}, A_READ),
        "evaluation_objective_withdraw": (
            "post",
            {"alliance_id": w["eval_alliance"].pk, "objective_id": w["objective"].pk},
            {},
            A_WRITE,
        ),
        "evaluation_close": ("post", e, {}, A_WRITE),
        "diagnostic": ("get", {}, {}, expect()),
        "diagnostic_year": ("post", {"year": 2024}, {"sales": "1000", "volunteers": "3"}, own_data_write),
        "diagnostic_funder_alliance": ("post", {"funder_id": w["funder"].pk}, {}, A_WRITE),
    }


def api_matrix(w) -> dict:
    e = {"evaluation_id": w["evaluation"].pk}
    read = api_expect(200, 200)
    a_read = api_expect(200, 200, other_workspace=404)
    a_write = api_expect(403, 200, other_workspace=404)
    base = "/api/v1/evaluations"
    al = {"alliance_id": w["eval_alliance"].pk}
    return {
        ("GET", f"{base}/questionnaires/current"): (read, None, {}),
        ("GET", f"{base}/questionnaires/{{version}}"): (read, None, {"version": 1}),
        ("GET", base): (read, None, {}),
        ("POST", base): (api_expect(403, 201, other_workspace=404), "open_evaluation", {}),
        ("GET", f"{base}/{{evaluation_id}}"): (a_read, None, e),
        ("GET", f"{base}/{{evaluation_id}}/answers"): (a_read, None, e),
        ("PUT", f"{base}/{{evaluation_id}}/answers"): (a_write, {"answers": SEND_ALL, "submit": True}, e),
        ("POST", f"{base}/{{evaluation_id}}/share"): (a_write, {"shared": True}, e),
        ("POST", f"{base}/{{evaluation_id}}/reminders"): (a_write, {}, e),
        ("GET", f"{base}/{{evaluation_id}}/scores"): (a_read, None, e),
        ("GET", f"{base}/{{evaluation_id}}/report.pdf"): (a_read, None, e),
        ("GET", f"{base}/alliances/{{alliance_id}}/objectives"): (a_read, None, al),
        ("POST", f"{base}/alliances/{{alliance_id}}/objectives"): (
            api_expect(403, 201, other_workspace=404),
            "objective",
            al,
        ),
        ("DELETE", f"{base}/alliances/{{alliance_id}}/objectives/{{objective_id}}"): (
            api_expect(403, 204, other_workspace=404),
            None,
            {**al, "objective_id": w["objective"].pk},
        ),
        ("GET", f"{base}/{{evaluation_id}}/links"): (a_read, None, e),
        ("POST", f"{base}/{{evaluation_id}}/links/{{link_id}}/revoke"): (a_write, {}, {**e, "link_id": w["link"].pk}),
        ("POST", f"{base}/{{evaluation_id}}/links"): (
            api_expect(403, 201, other_workspace=404),
            {"party_id": w["outside_party"].pk, "email": "adjoint@sans-compte.test"},
            e,
        ),
        ("POST", f"{base}/{{evaluation_id}}/close"): (a_write, {}, e),
        ("GET", "/api/v1/diagnostic/years"): (read, None, {}),
        ("GET", "/api/v1/diagnostic/years/{year}"): (a_read, None, {"year": 2025}),
        ("PUT", "/api/v1/diagnostic/years/{year}"): (
            api_expect(403, 200),
            {"resources": {"sales": "1000"}, "human": {"volunteers": 2}},
            {"year": 2024},
        ),
        ("GET", "/api/v1/diagnostic"): (read, None, {}),
        ("POST", "/api/v1/diagnostic/funders/{funder_id}/alliance"): (
            api_expect(403, 200, other_workspace=404),
            {},
            {"funder_id": w["funder"].pk},
        ),
    }


def body_for(kind):
    if kind == "open_evaluation":
        return lambda world, role: {
            "alliance_id": world["eval_alliance"].pk,
            "period_label": "Année 2026",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
        }
    if kind == "objective":
        return {
            "title": "Former dix bénévoles",
            "indicator": "Bénévoles formés",
            "unit": "personnes",
            "baseline": "0",
            "target": "10",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
        }
    return kind
