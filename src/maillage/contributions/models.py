"""What each party gives another in an alliance, valued lawfully, with its counterparts.

Kinds: money, in-kind (goods, lent premises, services), skills (named employees' hours), a service contract
(revenue, not a gift) and volunteers' time. Each keeps its valuation method and evidence; ``value`` is always the
valued amount in euros (Decimal), computed by :mod:`maillage.contributions.valuation` for skills.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

from maillage.core.formats import money
from maillage.core.tenancy import ThroughAllianceQuerySet

if TYPE_CHECKING:
    pass


class Kind(models.TextChoices):
    MONEY = "money", "Don financier"
    IN_KIND = "in_kind", "Don en nature (biens, locaux, services)"
    SKILLS = "skills", "Mécénat de compétences"
    SERVICE = "service", "Prestation (contrat)"
    VOLUNTEERING = "volunteering", "Bénévolat"


GIFT_KINDS = frozenset({Kind.MONEY, Kind.IN_KIND, Kind.SKILLS})


class Status(models.TextChoices):
    PROMISED = "promised", "Promise"
    RECEIVED = "received", "Reçue"


class ValuationMethod(models.TextChoices):
    NOMINAL = "nominal", "Montant versé"
    COST_PRICE = "cost_price", "Prix de revient (stock)"
    NET_BOOK_VALUE = "net_book_value", "Valeur nette comptable (immobilisation)"
    RENTAL_VALUE = "rental_value", "Valeur locative (locaux prêtés)"
    SALARY_COST = "salary_cost", "Coût de revient salarial plafonné (compétences)"
    CONTRACT_PRICE = "contract_price", "Prix du contrat"
    HOURLY_RATE = "hourly_rate", "Heures × taux horaire (bénévolat)"


# The valuation methods each kind admits (BOI-BIC-RICI-20-30-10-20: goods at cost price or net book value,
# skills at salary cost; service contracts at their price; money at its amount).
METHODS_BY_KIND: dict[str, tuple[str, ...]] = {
    Kind.MONEY: (ValuationMethod.NOMINAL,),
    Kind.IN_KIND: (ValuationMethod.COST_PRICE, ValuationMethod.NET_BOOK_VALUE, ValuationMethod.RENTAL_VALUE),
    Kind.SKILLS: (ValuationMethod.SALARY_COST,),
    Kind.SERVICE: (ValuationMethod.CONTRACT_PRICE,),
    Kind.VOLUNTEERING: (ValuationMethod.HOURLY_RATE,),
}


class ContributionQuerySet(ThroughAllianceQuerySet["Contribution"]):
    """Contributions are visible with their alliance."""


class Contribution(models.Model):
    # No single-column index on these three: the composite indexes of Meta start with them and serve their lookups
    # (an import writes one row per contribution: each index spared is work spared on every row).
    alliance = models.ForeignKey(
        "alliances.Alliance", on_delete=models.CASCADE, related_name="contributions", db_index=False
    )
    giver = models.ForeignKey("alliances.Party", on_delete=models.PROTECT, related_name="given", db_index=False)
    receiver = models.ForeignKey("alliances.Party", on_delete=models.PROTECT, related_name="received", db_index=False)
    # The giver's organisation kind, copied from its party (which never changes it): the dashboard sums what
    # each kind of partner gave without joining the parties again.
    giver_kind = models.CharField("type d'organisation du donateur", max_length=20, editable=False, db_default="")
    kind = models.CharField("nature", max_length=12, choices=Kind.choices)
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.PROMISED)
    description = models.CharField("description", max_length=500)
    value = models.DecimalField("valeur (€)", max_digits=12, decimal_places=2)
    valuation_method = models.CharField("méthode de valorisation", max_length=16, choices=ValuationMethod.choices)
    evidence = models.TextField("justificatifs", max_length=2000, blank=True)
    promised_on = models.DateField("promise le", null=True, blank=True)
    received_on = models.DateField("reçue le", null=True, blank=True)
    hours = models.DecimalField("heures", max_digits=9, decimal_places=2, null=True, blank=True)
    hourly_rate = models.DecimalField("taux horaire (€)", max_digits=8, decimal_places=2, null=True, blank=True)
    # Skills gifts: the list of days worked, signed by both parties, is required before a receipt.
    signed_timesheet = models.BooleanField("liste des jours signée par les deux parties", default=False)
    counterparts_value = models.DecimalField(
        "valeur des contreparties (€)", max_digits=12, decimal_places=2, default=Decimal("0"), editable=False
    )
    created_by_workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by a spreadsheet import (decision 0005): the job that wrote the row, for undo, and the row's natural
    # key with its workspace (128 bits of a SHA-256), unique, so that a re-import skips it. No database-level
    # foreign key on the job: Django sets it to NULL if the job goes, and each imported row is spared the check.
    import_job = models.ForeignKey(
        "exchange.ImportJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    import_key = models.UUIDField(null=True, blank=True, editable=False)

    objects = ContributionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "contribution"
        indexes = [
            models.Index(fields=["alliance", "kind"], name="contribution_alliance_idx"),
            models.Index(fields=["receiver", "status"], name="contribution_receiver_idx"),
            models.Index(fields=["giver", "kind"], name="contribution_giver_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(value__gte=0), name="contribution_value_not_negative"),
            models.CheckConstraint(condition=~models.Q(giver=models.F("receiver")), name="contribution_two_parties"),
            models.UniqueConstraint(
                fields=["import_key"],
                condition=models.Q(import_key__isnull=False),
                name="contribution_import_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} : {money(self.value)}"

    @property
    def is_gift(self) -> bool:
        return self.kind in GIFT_KINDS

    @property
    def date(self) -> datetime.date:

        return self.received_on or self.promised_on or self.created_at.date()

    @property
    def counterparts_share(self) -> Decimal | None:
        if not self.value:
            return None
        return (self.counterparts_value / self.value).quantize(Decimal("0.0001"))

    @property
    def is_sponsoring(self) -> bool:
        """A gift whose counterparts exceed the tolerated share is parrainage (sponsoring), not mécénat."""
        from maillage.core.legal import COUNTERPART_TOLERATED_SHARE

        return self.is_gift and self.counterparts_value > self.value * COUNTERPART_TOLERATED_SHARE.value


class ReceivedSum(models.Model):
    """What a party received, per kind of giver organisation, kept up to date on write (see ``totals``).

    One row per (receiving party, giver kind): the received values by kind of contribution and what is still
    promised, the sums the dashboard shows per partner kind. Changed by additions only, in the same transaction
    as the contributions they sum (:mod:`maillage.contributions.totals`).
    """

    # No index of its own: the unique constraint's index starts with it.
    receiver = models.ForeignKey(
        "alliances.Party", on_delete=models.CASCADE, related_name="received_sums", db_index=False
    )
    giver_kind = models.CharField("type d'organisation du donateur", max_length=20)
    money = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    in_kind = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    skills = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    service = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    volunteering = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    promised = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = "sommes reçues par une partie"
        constraints = [
            models.UniqueConstraint(fields=["receiver", "giver_kind"], name="received_sum_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.receiver_id} ← {self.giver_kind}"


class SkillsLine(models.Model):
    """One employee made available for one month: the basis of the skills valuation (salary cost, capped)."""

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="skills_lines")
    employee_name = models.CharField("salarié", max_length=150)
    employee_role = models.CharField("qualification", max_length=150, blank=True)
    month = models.DateField("mois", help_text="premier jour du mois")
    hours = models.DecimalField("heures mises à disposition", max_digits=6, decimal_places=2)
    monthly_cost = models.DecimalField(
        "coût mensuel (salaire + charges patronales, €)", max_digits=10, decimal_places=2
    )
    monthly_hours = models.DecimalField(
        "heures travaillées dans le mois", max_digits=6, decimal_places=2, default=Decimal("151.67")
    )
    value = models.DecimalField("valeur retenue (€)", max_digits=12, decimal_places=2, editable=False)
    capped = models.BooleanField("plafonné à 3 PSS", default=False, editable=False)

    class Meta:
        ordering = ["month", "employee_name"]

    def __str__(self) -> str:
        return f"{self.employee_name} ({self.month:%m/%Y})"


class Counterpart(models.Model):
    """What the receiving side gives back (logo, tickets, visibility…), valued."""

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="counterparts")
    description = models.CharField("contrepartie", max_length=300)
    value = models.DecimalField("valeur (€)", max_digits=12, decimal_places=2)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(value__gte=0), name="counterpart_value_not_negative")]

    def __str__(self) -> str:
        return self.description
