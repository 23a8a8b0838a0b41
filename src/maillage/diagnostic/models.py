"""The association's economic model, fiscal year by fiscal year: resources by source, expenses, reserves and cash,
human resources (volunteering valued as in accounts 86/87), main funders linked to the directory.

Private to the workspace that enters them (``ResourceYear.objects.visible_to(workspace)``).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from maillage.core.tenancy import WorkspaceScopedQuerySet


class Source(models.TextChoices):
    PUBLIC_SUBSIDIES = "public_subsidies", "Subventions publiques"
    PUBLIC_CONTRACTS = "public_contracts", "Commandes publiques"
    SALES = "sales", "Ventes et prestations"
    FEES = "fees", "Cotisations des membres"
    GIFTS = "gifts", "Dons et mécénat"
    OTHER = "other", "Autres ressources"


PUBLIC_SOURCES = (Source.PUBLIC_SUBSIDIES, Source.PUBLIC_CONTRACTS)
PRIVATE_SOURCES = (Source.SALES, Source.FEES, Source.GIFTS, Source.OTHER)


def _money(label: str) -> models.DecimalField:
    return models.DecimalField(label, max_digits=12, decimal_places=2, default=Decimal("0"))


class ResourceYear(models.Model):
    """One fiscal year, named by the year it closes in (``year``); a calendar year unless ``closes_on`` says."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("année (de clôture de l'exercice)")
    closes_on = models.DateField("date de clôture de l'exercice", null=True, blank=True)
    public_subsidies = _money("subventions publiques (€)")
    public_contracts = _money("commandes publiques (€)")
    sales = _money("ventes et prestations (€)")
    fees = _money("cotisations (€)")
    gifts = _money("dons et mécénat (€)")
    other = _money("autres ressources (€)")
    expenses = models.DecimalField("charges de l'exercice (€)", max_digits=12, decimal_places=2, null=True, blank=True)
    reserves = models.DecimalField(
        "fonds propres / réserves en fin d'exercice (€)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    cash = models.DecimalField(
        "trésorerie en fin d'exercice (€)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    volunteer_value = models.DecimalField(
        "valorisation du bénévolat inscrite aux comptes 86/87 (€)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    employees_fte = models.DecimalField("salariés (ETP)", max_digits=8, decimal_places=2, default=Decimal("0"))
    volunteers = models.PositiveIntegerField("bénévoles (nombre)", default=0)
    volunteer_hours = models.DecimalField("heures de bénévolat", max_digits=10, decimal_places=2, default=0)
    skills_received_hours = models.DecimalField(
        "heures de compétences reçues (mécénat de compétences)", max_digits=10, decimal_places=2, default=0
    )
    skills_received_value = _money("valeur des compétences reçues (€)")
    notes = models.TextField("remarques", max_length=2000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["workspace", "year"], name="resource_year_unique")]

    def __str__(self) -> str:
        return f"Ressources {self.year}"

    def amount(self, source: str) -> Decimal:
        return getattr(self, source)

    @property
    def total(self) -> Decimal:
        return sum((self.amount(s) for s in Source.values), Decimal("0"))

    @property
    def period(self):
        """(first day, last day) of the fiscal year: the twelve months ending on ``closes_on`` (else the calendar)."""
        from datetime import date, timedelta

        if self.closes_on is None:
            return date(self.year, 1, 1), date(self.year, 12, 31)
        end = self.closes_on
        try:
            start = end.replace(year=end.year - 1) + timedelta(days=1)
        except ValueError:  # 29 February
            start = date(end.year - 1, 3, 1)
        return start, end

    @property
    def result(self) -> Decimal | None:
        return None if self.expenses is None else self.total - self.expenses


class Funder(models.Model):
    """One of the main funders of a year (its name, the source it belongs to, the amount)."""

    resource_year = models.ForeignKey(ResourceYear, on_delete=models.CASCADE, related_name="funders")
    name = models.CharField("financeur", max_length=200)
    source = models.CharField("source", max_length=20, choices=Source.choices)
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)
    # The funder in the shared directory, when it is there (every public body is): a public funder is an ally too.
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-amount", "name"]

    def __str__(self) -> str:
        return self.name
