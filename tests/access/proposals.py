"""Access matrix of the public partnership requests: the public form, the association's list and its answers."""

from __future__ import annotations

from maillage.proposals.models import PartnershipRequest
from tests.access.common import A_WRITE, PUBLIC, expect


def extend_world(world) -> None:
    world["proposal"] = PartnershipRequest.objects.create(
        organization=world["org"],
        workspace=world["a"],
        proposer_name="Entreprise qui propose",
        proposer_kind="company",
        contact_name="Paul",
        email="paul@propose.test",
        message="Une proposition de partenariat assez longue.",
        forms=["mecenat_financier"],
        ip_hash="0" * 64,
    )


def web_matrix(w) -> dict:
    p = {"request_id": w["proposal"].pk}
    return {
        "proposal_public": ("get", {"organization_id": w["org"].pk}, {}, PUBLIC),
        "proposal_list": ("get", {}, {}, expect()),
        "proposal_refuse": ("post", p, {}, A_WRITE),
        "proposal_accept": ("post", p, {}, A_WRITE),
    }


def api_matrix(w) -> dict:
    return {}


def body_for(kind):
    return kind
