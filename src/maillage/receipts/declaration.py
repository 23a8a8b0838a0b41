"""The annual declaration of art. 222 bis CGI: amount and number of receipts issued for the previous year's gifts.

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

from django.db.models import Count, Sum

from maillage.core import legal
from maillage.receipts.calendar import nth_working_day_after
from maillage.receipts.models import Nature, Receipt, ReceiptForm, gift_year_bounds


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
    gift_year: int
    deadline: date
    lines: list[Line] = field(default_factory=list)
    count: int = 0
    amount: Decimal = Decimal("0")
    applies: bool = True

    def reminder(self, today: date) -> str:
        if not self.applies or self.count == 0:
            return ""
        days = (self.deadline - today).days
        if days < 0:
            return (
                f"La déclaration des dons de {self.gift_year} (art. 222 bis du CGI) était due le {self.deadline:%d/%m/%Y} : "
                "déposez-la sans attendre (amende de l'art. 1729 B du CGI)."
            )
        if days <= legal.DECLARATION_REMINDER_DAYS:
            return (
                f"Rappel : déclarez avant le {self.deadline:%d/%m/%Y} (dans {days} jour{'s' if days > 1 else ''}) le montant "
                f"et le nombre des reçus émis pour les dons de {self.gift_year} (art. 222 bis du CGI)."
            )
        return ""


def build_declaration(workspace, gift_year: int, fiscal_year_end: date | None = None) -> Declaration:
    start, end = gift_year_bounds(gift_year)
    rows = (
        Receipt.objects.visible_to(workspace)
        .active()
        .filter(issuer_id=workspace.organization_id, gift_date__range=(start, end))
        .values("form", "nature")
        .annotate(count=Count("id"), amount=Sum("amount"))
        .order_by("form", "nature")
    )
    found = {(r["form"], r["nature"]): r for r in rows}
    declaration = Declaration(
        gift_year=gift_year,
        deadline=declaration_deadline(gift_year, fiscal_year_end),
        applies=gift_year >= legal.DECLARATION_FIRST_GIFT_YEAR,
    )
    for form in ReceiptForm:
        for nature in Nature:
            if form == ReceiptForm.INDIVIDUAL and nature == Nature.SKILLS:
                continue
            row = found.get((form.value, nature.value), {"count": 0, "amount": Decimal("0")})
            declaration.lines.append(
                Line(form.value, form.label, nature.value, nature.label, row["count"], row["amount"] or Decimal("0"))
            )
    declaration.count = sum(line.count for line in declaration.lines)
    declaration.amount = sum((line.amount for line in declaration.lines), Decimal("0"))
    return declaration


def reminder_for(workspace, today: date) -> str:
    """The reminder to show on the receipts pages for last year's declaration, if due soon or overdue."""
    declaration = build_declaration(workspace, today.year - 1)
    if today > declaration.deadline + timedelta(days=60):
        return ""
    return declaration.reminder(today)
