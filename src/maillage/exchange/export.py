"""Exports of a workspace: every list as CSV or XLSX, neutralised against formula injection.

The files are written by :mod:`maillage.core.spreadsheets` (shared with the other areas' downloads).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Q

from maillage.alliances.models import Alliance, Interaction, Party
from maillage.audit.actions import record_event
from maillage.contributions.models import Contribution
from maillage.core.spreadsheets import csv_response, xlsx_response
from maillage.organizations.models import Contact, Organization


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    headers: tuple[str, ...]
    rows: Callable[[object], Iterable[tuple]]


def organizations_of(workspace):
    alliances = Alliance.objects.visible_to(workspace)
    return (
        Organization.objects.filter(
            Q(parties__alliance__in=alliances)
            | Q(contacts__workspace=workspace)
            | Q(private_notes__workspace=workspace)
            | Q(pk=workspace.organization_id)
        )
        .distinct()
        .select_related("commune")
        .order_by("name_search", "id")
    )


def _organizations(ws):
    for o in organizations_of(ws):
        yield (
            o.pk,
            o.kind,
            o.name,
            o.siren,
            o.siret,
            o.rna,
            o.commune_id,
            o.commune.name if o.commune else "",
            o.naf_id,
            o.website,
        )


def _contacts(ws):
    for c in Contact.objects.visible_to(ws).select_related("organization").order_by("name", "id"):
        yield (c.pk, c.organization.name, c.organization.siren or c.organization.rna, c.name, c.role, c.email, c.phone)


def _alliances(ws):
    qs = Alliance.objects.visible_to(ws).prefetch_related("parties__organization").order_by("name", "id")
    for a in qs:
        partners = "; ".join(
            f"{p.organization.siren or p.organization.rna or p.organization.name} ({p.get_role_display()})"
            for p in a.parties.all()
            if p.organization_id != ws.organization_id and p.left_at is None
        )
        yield (
            a.pk,
            a.name,
            ", ".join(a.form_labels),
            a.get_stage_display(),
            partners,
            a.purpose,
            a.territory_level,
            a.territory_code,
            a.starts_on,
            a.ends_on,
        )


def _parties(ws):
    qs = Party.objects.filter(alliance__in=Alliance.objects.visible_to(ws)).select_related("alliance", "organization")
    for p in qs.order_by("alliance__name", "id"):
        yield (
            p.alliance.name,
            p.organization.name,
            p.organization.siren or p.organization.rna,
            p.get_role_display(),
            p.commitment,
            p.left_at is None,
        )


def _contributions(ws):
    qs = (
        Contribution.objects.visible_to(ws)
        .select_related("alliance", "giver__organization", "receiver__organization")
        .order_by("alliance__name", "id")
    )
    for c in qs:
        yield (
            c.pk,
            c.alliance.name,
            c.giver.organization.name,
            c.receiver.organization.name,
            c.get_kind_display(),
            c.description,
            c.value,
            c.get_status_display(),
            c.promised_on,
            c.received_on,
            c.get_valuation_method_display(),
            c.hours,
            c.hourly_rate,
            c.evidence,
        )


def _interactions(ws):
    qs = Interaction.objects.filter(alliance__in=Alliance.objects.visible_to(ws)).select_related("alliance")
    for i in qs.order_by("alliance__name", "occurred_on", "id"):
        yield (
            i.pk,
            i.alliance.name,
            i.get_kind_display(),
            i.occurred_on,
            i.duration_minutes,
            i.subject,
            i.notes if i.workspace_id == ws.pk else "",
        )


TABLES = {
    t.name: t
    for t in (
        Table(
            "organisations",
            "Organisations",
            ("id", "type", "nom", "siren", "siret", "rna", "code commune", "commune", "naf", "site web"),
            _organizations,
        ),
        Table(
            "contacts",
            "Contacts",
            ("id", "organisation", "identifiant", "nom", "fonction", "e-mail", "téléphone"),
            _contacts,
        ),
        Table(
            "alliances",
            "Alliances",
            ("id", "nom", "formes", "étape", "partenaires", "objet", "échelle", "territoire", "début", "fin"),
            _alliances,
        ),
        Table(
            "parties",
            "Parties des alliances",
            ("alliance", "organisation", "identifiant", "rôle", "engagement", "active"),
            _parties,
        ),
        Table(
            "contributions",
            "Contributions",
            (
                "id",
                "alliance",
                "donateur",
                "bénéficiaire",
                "nature",
                "description",
                "montant",
                "statut",
                "promise le",
                "reçue le",
                "méthode de valorisation",
                "heures",
                "taux horaire",
                "justificatifs",
            ),
            _contributions,
        ),
        Table(
            "echanges",
            "Échanges",
            ("id", "alliance", "type", "date", "durée (minutes)", "objet", "compte rendu"),
            _interactions,
        ),
    )
}


def table_response(table: Table, workspace, file_format: str, *, user=None, request=None):
    """The list as a download; journaled (``export.downloaded``: which list, format, how many rows, who, from where)."""
    rows = list(table.rows(workspace))
    record_event(
        action="export.downloaded",
        actor=user,
        workspace=workspace,
        details={"table": table.name, "format": file_format, "rows": len(rows)},
        request=request,
    )
    if file_format == "xlsx":
        return xlsx_response(f"maillage-{table.name}", table.headers, rows, title=table.title)
    return csv_response(f"maillage-{table.name}", table.headers, rows)
