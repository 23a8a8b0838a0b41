"""Accounting export of the gifts of a period: money gifts in the income statement (754x), and the contributions
volontaires en nature at its foot in classes 86 / 87 (ANC regulation 2018-06, art. 211-1 and 431-22; accounts list of
the regulation: 860 secours en nature, 861 mise à disposition gratuite de biens, 862 prestations, 864 personnel
bénévole / 870 bénévolat, 871 prestations en nature, 875 dons en nature).

The entries come from the gifts themselves, receipted or not (ANC 2018-06 counts every contribution in kind
received and every volunteering hour valued, whether or not a receipt was issued; every money gift is income):
received contributions of the alliances (money, in kind, skills, volunteering) and individuals' gifts. A gift with
an active receipt carries its number as the piece reference (``recu_fiscal = oui``). Money from a public body is a
subsidy (74), not a gift. Numbering (``EcritureNum``) is continuous per journal and chronological within it, as
the FEC asks (LPF art. A. 47 A-1). Amounts are exact Decimal, printed with ``core.formats``-style decimal commas.
Formats: a semicolon CSV with decimal commas (what French accounting software imports) and a FEC-style journal
(the 18 columns of art. A. 47 A-1 of the LPF, tab-separated).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from maillage.contributions.models import Contribution, Kind, Status, ValuationMethod
from maillage.organizations.models import PUBLIC_KINDS
from maillage.receipts.models import IndividualGift, Receipt, gift_year_bounds

if TYPE_CHECKING:
    from maillage.workspaces.models import Workspace

ACCOUNTS = {
    "512": "Banque",
    "74": "Subventions d'exploitation",
    "7541": "Dons manuels",
    "7542": "Mécénats",
    "860": "Secours en nature",
    "861": "Mise à disposition gratuite de biens",
    "862": "Prestations",
    "864": "Personnel bénévole",
    "870": "Bénévolat",
    "871": "Prestations en nature",
    "875": "Dons en nature",
}
JOURNALS = {"DON": "Dons et mécénat", "CVN": "Contributions volontaires en nature"}
FEC_COLUMNS = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
]


@dataclass
class Entry:
    journal: str
    number: str
    day: date
    debit_account: str
    credit_account: str
    amount: Decimal
    piece: str
    label: str
    donor: str
    from_receipt: bool


def _in_kind_accounts(kind: str, valuation_method: str) -> tuple[str, str, str]:
    if kind == Kind.SKILLS:
        return "CVN", "862", "871"
    if kind == Kind.VOLUNTEERING:
        return "CVN", "864", "870"
    if valuation_method == ValuationMethod.RENTAL_VALUE:
        return "CVN", "861", "871"
    return "CVN", "860", "875"


def entries_for_period(workspace: Workspace, start: date, end: date) -> list[Entry]:
    """Every gift received by the workspace's organisation between ``start`` and ``end`` (included)."""
    receipted_c = dict(
        Receipt.objects.visible_to(workspace)
        .active()
        .filter(contribution__isnull=False, gift_date__range=(start, end))
        .values_list("contribution_id", "reference")
    )
    receipted_g = dict(
        Receipt.objects.visible_to(workspace)
        .active()
        .filter(individual_gift__isnull=False, gift_date__range=(start, end))
        .values_list("individual_gift_id", "reference")
    )
    raw: list[Entry] = []
    contributions = (
        Contribution.objects.visible_to(workspace)
        .filter(
            kind__in=[Kind.MONEY, Kind.IN_KIND, Kind.SKILLS, Kind.VOLUNTEERING],
            status=Status.RECEIVED,
            receiver__organization_id=workspace.organization_id,
            received_on__range=(start, end),
        )
        .select_related("giver__organization")
        .order_by("received_on", "pk")
    )
    for c in contributions:
        if c.is_sponsoring:  # counterparts beyond the tolerated share: parrainage, a sale (706), not a gift
            continue
        giver = c.giver.organization
        if c.kind == Kind.MONEY:
            journal, debit = "DON", "512"
            credit = "74" if giver.kind in PUBLIC_KINDS else "7542"
            label = f"Don en numéraire {giver.name}"
        else:
            journal, debit, credit = _in_kind_accounts(c.kind, c.valuation_method)
            label = (
                f"Bénévolat {c.hours} h × {c.hourly_rate} €"
                if c.kind == Kind.VOLUNTEERING
                else f"{c.get_kind_display()} {giver.name}"
            )
        assert c.received_on is not None  # only received gifts are read (received_on in the period)
        reference = receipted_c.get(c.pk, "")

        raw.append(
            Entry(
                journal,
                "",
                c.received_on,
                debit,
                credit,
                c.value,
                reference or f"CTB-{c.pk}",
                label[:200],
                giver.name,
                bool(reference),
            )
        )
    gifts = (
        IndividualGift.objects.visible_to(workspace)
        .filter(received_on__range=(start, end))
        .order_by("received_on", "pk")
    )
    for g in gifts:
        if g.in_kind:
            journal, debit, credit, label = "CVN", "860", "875", f"Don en nature {g.donor_name}"
        else:
            journal, debit, credit, label = "DON", "512", "7541", f"Don manuel {g.donor_name}"
        reference = receipted_g.get(g.pk, "")
        raw.append(
            Entry(
                journal,
                "",
                g.received_on,
                debit,
                credit,
                g.amount,
                reference or f"DON-{g.pk}",
                label[:200],
                g.donor_name,
                bool(reference),
            )
        )
    entries: list[Entry] = []
    for journal in JOURNALS:  # continuous numbering per journal, in date order
        ordered = sorted((e for e in raw if e.journal == journal), key=lambda e: (e.day, e.piece))
        for index, entry in enumerate(ordered, start=1):
            entry.number = f"{journal}{start.year}-{index:06d}"
            entries.append(entry)
    return entries


def entries_for_year(workspace: Workspace, year: int) -> list[Entry]:
    start, end = gift_year_bounds(year)
    return entries_for_period(workspace, start, end)


def _money(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def to_csv(entries: list[Entry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "date",
            "journal",
            "ecriture",
            "compte",
            "libelle_compte",
            "piece",
            "tiers",
            "libelle",
            "debit",
            "credit",
            "recu_fiscal",
        ]
    )
    for e in entries:
        for account, debit, credit in (
            (e.debit_account, e.amount, Decimal("0")),
            (e.credit_account, Decimal("0"), e.amount),
        ):
            writer.writerow(
                [
                    e.day.isoformat(),
                    e.journal,
                    e.number,
                    account,
                    ACCOUNTS[account],
                    e.piece,
                    e.donor,
                    e.label,
                    _money(debit),
                    _money(credit),
                    "oui" if e.from_receipt else "non",
                ]
            )
    return out.getvalue()


def _clean(text: str) -> str:
    return text.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def to_fec(entries: list[Entry], validated_on: date) -> str:
    lines = ["\t".join(FEC_COLUMNS)]
    for e in entries:
        for account, debit, credit in (
            (e.debit_account, e.amount, Decimal("0")),
            (e.credit_account, Decimal("0"), e.amount),
        ):
            lines.append(
                "\t".join(
                    [
                        e.journal,
                        JOURNALS[e.journal],
                        e.number,
                        f"{e.day:%Y%m%d}",
                        account,
                        ACCOUNTS[account],
                        "",
                        "",
                        e.piece,
                        f"{e.day:%Y%m%d}",
                        _clean(e.label),
                        _money(debit),
                        _money(credit),
                        "",
                        "",
                        f"{validated_on:%Y%m%d}",
                        "",
                        "EUR",
                    ]
                )
            )
    return "\r\n".join(lines) + "\r\n"
