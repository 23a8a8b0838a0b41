"""Builders of the receipts tests: an eligible association, a company donor, gifts of every kind."""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from maillage.alliances.actions import create_alliance
from maillage.contributions.actions import CounterpartInput, SkillsInput, record_contribution
from maillage.contributions.models import Kind, Status
from maillage.organizations.actions import create_organization
from maillage.organizations.models import Organization
from maillage.receipts.actions import declare_eligibility, remember_company_details

ELIGIBILITY = {
    "status": "interet_general",
    "art_200": True,
    "art_238_bis": True,
    "art_978": False,
    "evidence_kind": "rescrit",
    "evidence_reference": "RES-2021-0042",
    "evidence_date": date(2021, 3, 15),
    "helps_people_in_difficulty": False,
    "purpose": "Créer et animer des jardins partagés dans les quartiers",
    "address": "12 rue des Jardins, 69100 Villeurbanne",
    "signatory_name": "Claire Dubois",
    "signatory_role": "Présidente",
}


# A 1×1 PNG: the signature scan every receipt must carry (no receipt without a signature).
SIGNATURE_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def signature_file():
    return SimpleUploadedFile("signature.png", SIGNATURE_PNG, content_type="image/png")


def make_eligible(workspace, user, signed: bool = True, **overrides):
    from maillage.receipts.models import Eligibility

    existing = Eligibility.objects.filter(organization_id=workspace.organization_id).first()
    already_signed = bool(existing and existing.signature_image)
    return declare_eligibility(
        workspace=workspace,
        user=user,
        data={**ELIGIBILITY, **overrides},
        signature=signature_file() if signed and not already_signed else None,
        remove_signature=not signed and already_signed,
    )


def make_company(name: str = "Boulangerie Dupain", siren: str = "734578388") -> Organization:
    existing = Organization.objects.filter(siren=siren).first() or Organization.objects.filter(name=name).first()
    if existing:
        return existing
    return create_organization(data={"kind": "company", "name": name, "siren": siren, "commune": "69123"})


COMPANY_STREET = "4 place Lazare-Goujon"


def make_alliance(workspace, user, company=None, street: str = COMPANY_STREET, payment_method: str = "virement"):
    """An alliance of the workspace with a donor company whose street and usual payment method are known."""
    company = company or make_company()
    if street or payment_method:
        remember_company_details(workspace, company.pk, street=street, payment_method=payment_method)
    return create_alliance(
        workspace=workspace,
        user=user,
        name=f"Mécénat {company.name}",
        forms=["mecenat_financier", "mecenat_nature", "mecenat_competences"],
        partners=[(company, "funder", "Soutenir les jardins")],
    )


def gift(alliance, workspace, user, kind=Kind.MONEY, value="1000.00", received_on=date(2025, 6, 10), **extra):
    parties = {p.organization_id: p for p in alliance.parties.all()}
    receiver = parties[workspace.organization_id]
    giver = next(p for org, p in parties.items() if org != workspace.organization_id)
    kwargs = {
        "alliance": alliance,
        "workspace": workspace,
        "user": user,
        "giver": extra.pop("giver", giver),
        "receiver": extra.pop("receiver", receiver),
        "kind": kind,
        "description": extra.pop("description", "Don pour les bacs de culture"),
        "status": extra.pop("status", Status.RECEIVED),
        "received_on": received_on if extra.get("status", Status.RECEIVED) == Status.RECEIVED else None,
    }
    if kind == Kind.SKILLS:
        kwargs["skills_lines"] = extra.pop(
            "skills_lines",
            [
                SkillsInput(
                    employee_name="Jean Martin",
                    employee_role="Paysagiste",
                    month=date(2025, 5, 1),
                    hours=Decimal("35"),
                    monthly_cost=Decimal("5000"),
                )
            ],
        )
        kwargs["signed_timesheet"] = extra.pop("signed_timesheet", True)
    elif kind == Kind.VOLUNTEERING:
        kwargs["hours"], kwargs["hourly_rate"] = extra.pop("hours", "10"), extra.pop("hourly_rate", "11.88")
    else:
        kwargs["value"] = value
    if kind == Kind.IN_KIND:
        kwargs["valuation_method"] = extra.pop("valuation_method", "cost_price")
    counterparts = extra.pop("counterparts", None)
    if counterparts:
        kwargs["counterparts"] = [CounterpartInput(description="Logo", value=Decimal(v)) for v in counterparts]
    kwargs.update(extra)
    return record_contribution(**kwargs)
