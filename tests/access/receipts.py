"""Access matrix of the receipts area: eligibility, receipts, batch, simulation, declaration, export."""

from __future__ import annotations

from maillage.core.roles import Role
from maillage.receipts.actions import issue_receipt
from maillage.receipts.models import BatchRun
from tests.access.common import A_READ, ROLES, api_expect, expect


def extend_world(world) -> None:
    from tests.receipts.factories import gift, make_alliance, make_eligible

    owner, workspace = world["people"][Role.OWNER], world["a"]
    make_eligible(workspace, owner)
    alliance = make_alliance(workspace, owner)
    world["receipt"] = issue_receipt(workspace=workspace, user=owner, contribution=gift(alliance, workspace, owner))
    world["receipts_pending"] = gift(alliance, workspace, owner, value="50")
    world["receipts_batch"] = BatchRun.objects.create(workspace=workspace, year=2025, status="done")
    # An individual donor of A with two gifts of 2025 and no receipt: the yearly summary receipt.
    from datetime import date

    from maillage.receipts.actions import record_individual_gift

    for day, value in ((date(2025, 3, 1), "40"), (date(2025, 9, 1), "60")):
        donor_gift = record_individual_gift(
            workspace=workspace,
            user=owner,
            donor_name="Paul Lefèvre",
            donor_address="3 place Bellecour, 69002 Lyon",
            amount=value,
            received_on=day,
            payment_method="cheque",
        )
    world["donor"] = donor_gift.donor


# The claimant of A's organisation (unverified workspace) is refused before any lookup (decision 0008).
A_WRITE_OBJECT = expect(viewer=403, member=302, admin=302, owner=302, other_workspace=404, claimant=403)


def web_matrix(w) -> dict:
    receipt = w["receipt"].pk
    return {
        "receipts_home": ("get", {}, {}, expect()),
        "receipts_eligibility": ("get", {}, {}, expect()),
        "receipts_individual_gift": ("get", {}, {}, expect(viewer=403)),
        "receipts_issue": ("post", {}, {"contribution": w["receipts_pending"].pk}, A_WRITE_OBJECT),
        # An out-of-range year: the access is checked without starting a batch thread.
        "receipts_batch": (
            "post",
            {},
            {"year": "1999"},
            expect(viewer=403, member=302, admin=302, owner=302, other_workspace=302, claimant=403),
        ),
        "receipts_batch_status": ("get", {"run_id": w["receipts_batch"].pk}, {}, A_READ),
        "receipts_simulation": ("get", {}, {"donor": "company", "rows": "2025;1000000;30000;0"}, expect()),
        "receipts_declaration": ("get", {}, {"year": "2025"}, expect()),
        "receipts_export": ("get", {}, {"year": "2025", "format": "csv"}, expect()),
        "receipt_detail": ("get", {"receipt_id": receipt}, {}, A_READ),
        "donors_list": ("get", {}, {"q": "Paul"}, expect()),
        "donor_detail": ("get", {"donor_id": w["donor"].pk}, {}, A_READ),
        "donor_summary_receipt": ("post", {"donor_id": w["donor"].pk, "year": 2025}, {}, A_WRITE_OBJECT),
        # B's own workspace has no receipt of 2025: redirected with a message.
        "receipts_zip": ("get", {}, {"year": "2025"}, expect(other_workspace=302)),
        "receipt_pdf": ("get", {"receipt_id": receipt}, {}, A_READ),
        "receipt_cancel": ("post", {"receipt_id": receipt}, {"reason": "Erreur de saisie"}, A_WRITE_OBJECT),
    }


def api_matrix(w) -> dict:
    receipt = {"receipt_id": w["receipt"].pk}
    read = api_expect(200, 200)
    admin_only = dict(zip(ROLES, [401, 403, 403, 200, 200, 200, 401, 401, 403, 401], strict=True))
    return {
        # Decision 0008: the claimant of A's organisation (unverified) never reads its eligibility.
        ("GET", "/api/v1/receipts/eligibility"): (api_expect(200, 200, other_workspace=404, claimant=403), None, {}),
        ("PUT", "/api/v1/receipts/eligibility"): (admin_only, "eligibility", {}),
        ("GET", "/api/v1/receipts"): (read, None, {}),
        ("POST", "/api/v1/receipts"): (api_expect(403, 201, other_workspace=404), "issue", {}),
        ("GET", "/api/v1/receipts/{receipt_id}"): (api_expect(200, 200, other_workspace=404), None, receipt),
        ("GET", "/api/v1/receipts/{receipt_id}/pdf"): (api_expect(200, 200, other_workspace=404), None, receipt),
        ("POST", "/api/v1/receipts/{receipt_id}/cancel"): (
            api_expect(403, 200, other_workspace=404),
            "cancel",
            receipt,
        ),
        ("POST", "/api/v1/receipts/simulation"): (read, "simulation", {}),
        ("POST", "/api/v1/receipts/summary"): (api_expect(403, 201, other_workspace=404), "summary", {}),
        ("GET", "/api/v1/receipts/zip"): (read, None, {}),
        ("GET", "/api/v1/receipts/declaration"): (read, None, {}),
    }


def body_for(kind):
    if kind == "eligibility":
        return {
            "status": "interet_general",
            "evidence_kind": "auto",
            "purpose": "Objet",
            "address": "1 rue de la Paix, 69001 Lyon",
            "signatory_name": "Claire Dubois",
            "signatory_role": "Présidente",
        }
    if kind == "issue":
        return lambda world, role: {"contribution": world["receipts_pending"].pk}
    if kind == "summary":
        return lambda world, role: {"donor": world["donor"].pk, "year": 2025}
    if kind == "cancel":
        return {"reason": "Erreur de saisie du montant"}
    if kind == "simulation":
        return {"donor": "company", "company_years": [{"year": 2025, "turnover": "1000000", "gifts": "30000"}]}
    return kind
