"""The shared directory of organisations, and what each workspace keeps privately about them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from maillage.core.tenancy import WorkspaceScopedQuerySet


class Kind(models.TextChoices):
    ASSOCIATION = "association", "Association"
    FOUNDATION = "foundation", "Fondation ou fonds de dotation"
    COMPANY = "company", "Entreprise"
    COMMUNE = "commune", "Commune"
    EPCI = "epci", "Intercommunalité (EPCI)"
    DEPARTEMENT = "departement", "Département"
    REGION = "region", "Région"
    STATE_SERVICE = "state_service", "Service de l'État"
    SCHOOL = "school", "Établissement d'enseignement ou université"
    SIAE = "siae", "Structure d'insertion (SIAE)"
    RESEARCH_LAB = "research_lab", "Laboratoire de recherche"
    OTHER = "other", "Autre"


LOCAL_AUTHORITY_KINDS = {Kind.COMMUNE, Kind.EPCI, Kind.DEPARTEMENT, Kind.REGION}
PUBLIC_KINDS = LOCAL_AUTHORITY_KINDS | {Kind.STATE_SERVICE}


class BudgetBand(models.TextChoices):
    """Annual budget of an association, in the bands of Tchernonog & Prouteau (2019)."""

    LT_10K = "lt_10k", "Moins de 10 k€"
    FROM_10K = "10k_50k", "10 à 50 k€"
    FROM_50K = "50k_150k", "50 à 150 k€"
    FROM_150K = "150k_500k", "150 à 500 k€"
    GT_500K = "gt_500k", "Plus de 500 k€"


class WorkforceBand(models.TextChoices):
    """Company size categories of the LME law (décret 2008-1354), as INSEE counts them."""

    NONE = "none", "Sans salarié"
    MICRO = "micro", "Microentreprise (moins de 10 salariés)"
    SME = "sme", "PME (10 à 249 salariés)"
    MID = "mid", "ETI (250 à 4 999 salariés)"
    LARGE = "large", "Grande entreprise (5 000 salariés ou plus)"


class Cause(models.Model):
    code = models.CharField(max_length=40, primary_key=True)
    label = models.CharField("libellé", max_length=100)
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        verbose_name = "cause"

    def __str__(self) -> str:
        return self.label


class Organization(models.Model):
    # No index of its own: ``org_kind_name_idx`` (kind, name_search, id) serves every look-up by kind. Each index
    # is paid on every insert (organisations import, decision 0023); the commune, EPCI, département and région
    # below likewise (their ``org_*_name_idx``).
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    name = models.CharField("nom", max_length=200)
    name_search = models.CharField(max_length=200, editable=False)
    siren = models.CharField("SIREN", max_length=9, null=True, blank=True)
    siret = models.CharField("SIRET", max_length=14, null=True, blank=True)
    rna = models.CharField("numéro RNA", max_length=10, null=True, blank=True)
    naf = models.ForeignKey("territories.Naf", on_delete=models.PROTECT, null=True, blank=True, verbose_name="code NAF")
    commune = models.ForeignKey(
        "territories.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="commune",
        db_index=False,
    )
    # Denormalised from the commune (or set directly for a région or a collectivité without one), for filters.
    epci = models.ForeignKey(
        "territories.Epci", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    departement = models.ForeignKey(
        "territories.Departement", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    region = models.ForeignKey(
        "territories.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    # For a public body built from the reference data: "commune:75056", "epci:200054781", "departement:13"…
    # Unique (``public_bodies.sync_public_bodies`` upserts ``ON CONFLICT (territory_key)``); on PostgreSQL without
    # the ``varchar_pattern_ops`` twin Django adds for ``LIKE`` (no query uses it: migration 0005).
    territory_key = models.CharField(max_length=20, null=True, blank=True, unique=True, editable=False)
    population = models.PositiveIntegerField("population", null=True, blank=True)
    causes = models.ManyToManyField(Cause, blank=True, related_name="organizations", verbose_name="causes")
    budget_band = models.CharField("budget annuel", max_length=10, choices=BudgetBand.choices, blank=True)
    workforce_band = models.CharField("effectif", max_length=10, choices=WorkforceBand.choices, blank=True)
    website = models.URLField("site web", blank=True)
    description = models.TextField("présentation", blank=True, max_length=5000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The workspace that added it to the shared directory: the only one that corrects it (decision 0016).
    created_by_workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name_search", "id"]
        verbose_name = "organisation"
        constraints = [
            models.UniqueConstraint(
                fields=["siren"], condition=Q(siren__isnull=False), name="organization_unique_siren"
            ),
            models.UniqueConstraint(
                fields=["siret"], condition=Q(siret__isnull=False), name="organization_unique_siret"
            ),
            models.UniqueConstraint(fields=["rna"], condition=Q(rna__isnull=False), name="organization_unique_rna"),
        ]
        indexes = [
            models.Index(fields=["name_search", "id"], name="org_name_idx"),
            models.Index(fields=["kind", "name_search", "id"], name="org_kind_name_idx"),
            # With the id: the import's duplicate detection reads a commune's names next to a row's from the index
            # alone on PostgreSQL (an index-only scan; without the id, a heap page per name: 3× the time at 1 M).
            models.Index(fields=["commune", "name_search", "id"], name="org_commune_name_idx"),
            models.Index(fields=["epci", "name_search"], name="org_epci_name_idx"),
            models.Index(fields=["departement", "name_search"], name="org_dep_name_idx"),
            models.Index(fields=["region", "name_search"], name="org_region_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public_body(self) -> bool:
        return self.kind in PUBLIC_KINDS

    @property
    def is_reference(self) -> bool:
        """Built from the official reference data: not editable through the directory."""
        return self.territory_key is not None


class SearchToken(models.Model):
    """One word of an organisation's name or place, for accent- and case-insensitive prefix search.

    A table rather than a database-specific text index, so that SQLite and PostgreSQL run the same query
    (see docs/decisions/0002-directory-search.md).
    """

    # No index of its own: ``search_token_org_idx`` (organization, token) serves the look-ups by organisation.
    # No foreign key constraint on PostgreSQL: statement triggers check the same set-based, once per statement
    # instead of once per word at commit (migration 0006, decision 0024); SQLite keeps the constraint.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    token = models.CharField(max_length=40)
    # A copy of the organisation's name_search, so that the organisations of a word are read in page order
    # from the index, instead of walking the whole directory in name order (docs/decisions/0002).
    name_search = models.CharField(max_length=200, default="")

    class Meta:
        indexes = [
            models.Index(fields=["token", "name_search", "organization"], name="search_token_name_idx"),
            models.Index(fields=["organization", "token"], name="search_token_org_idx"),
        ]

    def __str__(self) -> str:
        return self.token


class PrivateNote(models.Model):
    """What one workspace writes about an organisation of the shared directory: never shown to another."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="private_notes")
    text = models.TextField("note", max_length=5000)
    tags = models.CharField("étiquettes", max_length=200, blank=True, help_text="séparées par des virgules")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.split(",") if t.strip()]


class Contact(models.Model):
    """A person at an organisation, entered by one workspace and private to it (GDPR: see docs/)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField("nom", max_length=150)
    role = models.CharField("fonction", max_length=150, blank=True)
    email = models.EmailField("e-mail", blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
