"""The annual declaration of art. 222 bis CGI: amount and number of receipts issued for the gifts of the last closed
fiscal year (the calendar year when the fiscal year closes on 31 December; otherwise the twelve months up to the
closing date, as the text says "au titre des dons reçus au cours de l'exercice").

Split as the declaration asks: by form (2041-MEC-SD for companies, 2041-RD for individuals) and by nature of the
gift (numéraire, en nature, compétences). Cancelled receipts are left out (a corrected receipt counts once, under its
new number). Deadline: 3 months after the close of the fiscal year; for a calendar year, the 2nd working day after
1 May (sources in :mod:`maillage.core.legal`).
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from maillage.core import legal
from maillage.receipts.calendar import nth_working_day_after
from maillage.receipts.models import (
    Eligibility,
    Nature,
    Receipt,
    ReceiptForm,
    closing_in,
    fiscal_year_bounds,
    last_closing,
)

if TYPE_CHECKING:
    from maillage.workspaces.models import Workspace


def declaration_deadline(gift_year: int, fiscal_year_end: date | None = None) -> date:
    """When the declaration of ``gift_year``'s gifts is due."""
    if fiscal_year_end is None or (fiscal_year_end.month, fiscal_year_end.day) == (12, 31):
        return nth_working_day_after(date(gift_year + 1, 5, 1), legal.DECLARATION_WORKING_DAYS_AFTER_MAY_1)
    month = fiscal_year_end.month + 3
    year = fiscal_year_end.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, min(fiscal_year_end.day, _calendar.monthrange(year, month)[1]))


@dataclass
class Line:
    form: str
    form_label: str
    nature: str
    nature_label: str
    count: int
    amount: Decimal


@dataclass
class Declaration:
    gift_year: int  # the year in which the fiscal year closes
    deadline: date
    start: date | None = None  # the fiscal year declared
    end: date | None = None
    lines: list[Line] = field(default_factory=list)
    count: int = 0
    amount: Decimal = Decimal("0")
    applies: bool = True

    @property
    def period_label(self) -> str:
        if self.start is None or (self.start.month, self.start.day) == (1, 1):
            return f"de {self.gift_year}"
        return f"de l'exercice du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"

    def reminder(self, today: date) -> str:
        if not self.applies or self.count == 0:
            return ""
        days = (self.deadline - today).days
        if days < 0:
            return (
                f"La déclaration des dons {self.period_label} (art. 222 bis du CGI) était due le {self.deadline:%d/%m/%Y} : "
                "déposez-la sans attendre (amende de l'art. 1729 B du CGI)."
            )
        if days <= legal.DECLARATION_REMINDER_DAYS:
            return (
                f"Rappel : déclarez avant le {self.deadline:%d/%m/%Y} (dans {days} jour{'s' if days > 1 else ''}) le montant "
                f"et le nombre des reçus émis pour les dons {self.period_label} (art. 222 bis du CGI)."
            )
        return ""


def build_declaration(workspace: Workspace, gift_year: int, fiscal_year_end: date | None = None) -> Declaration:
    """The declaration of the fiscal year closing in ``gift_year`` (on ``fiscal_year_end``; 31 December if none)."""
    end = fiscal_year_end or date(gift_year, 12, 31)
    start, end = fiscal_year_bounds(end)
    receipts = (
        Receipt.objects.visible_to(workspace)
        .active()
        .filter(issuer_id=workspace.organization_id, gift_date__range=(start, end))
        .values_list("form", "nature", "amount")
    )
    found: dict[tuple[str, str], list[Any]] = {}  # [count, amount]

    for form, nature, amount in receipts:  # summed in Python: exact Decimal on every database (no float noise)
        line = found.setdefault((form, nature), [0, Decimal("0")])
        line[0] += 1
        line[1] += amount
    declaration = Declaration(
        gift_year=gift_year,
        deadline=declaration_deadline(gift_year, fiscal_year_end),
        start=start,
        end=end,
        applies=end >= date(legal.DECLARATION_FIRST_GIFT_YEAR, 12, 31),
    )
    for form in ReceiptForm:
        for nature in Nature:
            if form == ReceiptForm.INDIVIDUAL and nature == Nature.SKILLS:
                continue
            count, amount = found.get((form.value, nature.value), (0, Decimal("0")))
            declaration.lines.append(Line(form.value, form.label, nature.value, nature.label, count, amount))
    declaration.count = sum(line.count for line in declaration.lines)
    declaration.amount = sum((line.amount for line in declaration.lines), Decimal("0"))
    return declaration


def declaration_for(workspace: Workspace, today: date, gift_year: int | None = None) -> Declaration:
    """The declaration of the workspace's last closed fiscal year (or of the one closing in ``gift_year``), from the
    closing date declared with its eligibility."""

    closing = (
        Eligibility.objects.filter(organization_id=workspace.organization_id)
        .values_list("fiscal_year_closing", flat=True)
        .first()
        or "31/12"
    )
    end = closing_in(gift_year, closing) if gift_year else last_closing(closing, today)
    if gift_year is None and closing == "31/12":
        end = date(today.year - 1, 12, 31)  # the calendar year just closed
    return build_declaration(workspace, end.year, end if closing != "31/12" else None)


def reminder_for(workspace: Workspace, today: date) -> str:
    """The reminder to show on the receipts pages for last year's declaration, if due soon or overdue."""
    declaration = declaration_for(workspace, today)
    if today > declaration.deadline + timedelta(days=60):
        return ""
    return declaration.reminder(today)
