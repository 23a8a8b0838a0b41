"""The association's economic model, year by year: resources by source, human resources, main funders.

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
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("année")
    public_subsidies = _money("subventions publiques (€)")
    public_contracts = _money("commandes publiques (€)")
    sales = _money("ventes et prestations (€)")
    fees = _money("cotisations (€)")
    gifts = _money("dons et mécénat (€)")
    other = _money("autres ressources (€)")
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


class Funder(models.Model):
    """One of the main funders of a year (its name, the source it belongs to, the amount)."""

    resource_year = models.ForeignKey(ResourceYear, on_delete=models.CASCADE, related_name="funders")
    name = models.CharField("financeur", max_length=200)
    source = models.CharField("source", max_length=20, choices=Source.choices)
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["-amount", "name"]

    def __str__(self) -> str:
        return self.name
