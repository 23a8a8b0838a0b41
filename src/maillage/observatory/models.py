"""Materialised indicator tables of the observatory: one row per published cell, and the log of refreshes.

A cell is (territory level, territory code, year, cause, budget band); ``cause``/``band`` are ``""`` for "all".
Only what may be published is stored: a cell under the disclosure threshold keeps its key and ``suppressed`` set,
with every figure empty (see :mod:`maillage.observatory.disclosure`). Rows are rewritten by each refresh.
"""

from __future__ import annotations

from django.db import models


class Level(models.TextChoices):
    FRANCE = "france", "France"
    REGION = "region", "Région"
    DEPARTEMENT = "departement", "Département"
    EPCI = "epci", "Intercommunalité (EPCI)"
    COMMUNE = "commune", "Commune"


class Suppression(models.TextChoices):
    NONE = "", "Publiée"
    SECRET = "secret", "Secret statistique"


class Cell(models.Model):
    level = models.CharField(max_length=12, choices=Level.choices)
    code = models.CharField(max_length=9)
    name = models.CharField(max_length=200)
    year = models.PositiveSmallIntegerField()
    cause = models.CharField(max_length=40, blank=True)
    band = models.CharField(max_length=10, blank=True)
    suppression = models.CharField(max_length=10, choices=Suppression.choices, blank=True)
    # Counts (associations), all empty when the cell is suppressed.
    associations = models.PositiveIntegerField(null=True)
    kinds_sum = models.PositiveIntegerField(null=True)
    local_authority = models.PositiveIntegerField(null=True)
    association_foundation = models.PositiveIntegerField(null=True)
    school = models.PositiveIntegerField(null=True)
    company = models.PositiveIntegerField(null=True)
    insertion = models.PositiveIntegerField(null=True)
    research = models.PositiveIntegerField(null=True)
    public = models.PositiveIntegerField(null=True)
    company_and_public = models.PositiveIntegerField(null=True)
    form_mecenat = models.PositiveIntegerField(null=True)
    form_responsible = models.PositiveIntegerField(null=True)
    form_cooperation = models.PositiveIntegerField(null=True)
    form_innovation = models.PositiveIntegerField(null=True)
    new_alliances = models.PositiveIntegerField(null=True)
    new_mecenat_only = models.PositiveIntegerField(null=True)
    new_coconstruction = models.PositiveIntegerField(null=True)
    hours = models.PositiveIntegerField(null=True)
    # Flows (issue 23): the associations' alliances (any partner) started and ended in the year.
    started_alliances = models.PositiveIntegerField(null=True)
    ended_alliances = models.PositiveIntegerField(null=True)
    # Network of the territory: distinct partners and ties (association–company, association–public body).
    companies_tied = models.PositiveIntegerField(null=True)
    public_tied = models.PositiveIntegerField(null=True)
    ties_company = models.PositiveIntegerField(null=True)
    ties_public = models.PositiveIntegerField(null=True)
    # Amounts in euros, rounded; each empty when its own rule (contributors, dominance) or a margin forbids it.
    money = models.BigIntegerField(null=True)
    in_kind = models.BigIntegerField(null=True)
    skills = models.BigIntegerField(null=True)
    # The three impacts (all causes and bands only): associations with a closed evaluation in the year, and the
    # mean of their scores out of 100 (each association weighs the same); empty below 5 associations.
    evaluated = models.PositiveIntegerField(null=True)
    impact_performance = models.PositiveSmallIntegerField(null=True)
    impact_innovation = models.PositiveSmallIntegerField(null=True)
    impact_trust = models.PositiveSmallIntegerField(null=True)

    class Meta:
        verbose_name = "case de l'observatoire"
        constraints = [
            models.UniqueConstraint(fields=["level", "code", "year", "cause", "band"], name="obs_cell_unique"),
        ]
        indexes = [models.Index(fields=["level", "year", "cause", "band"], name="obs_cell_slice_idx")]

    def __str__(self) -> str:
        return f"{self.level}:{self.code} {self.year} {self.cause or '*'} {self.band or '*'}"

    @property
    def is_published(self) -> bool:
        return not self.suppression


class RefreshRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "En cours"
        DONE = "done", "Terminé"
        FAILED = "failed", "Échec"

    class Trigger(models.TextChoices):
        PAGE = "page", "page de l'équipe"
        CLI = "cli", "ligne de commande"
        SCHEDULE = "schedule", "tâche de nuit"

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    cells = models.PositiveIntegerField(default=0)
    published = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    # The disclosure auditor's report on what this run published (or refused to publish), decision 0013.
    audit = models.JSONField(default=dict, blank=True)
    # Who asked for it (issue 23: one cadence rule for the page, the CLI and the nightly job) and whether an
    # operator forced it off the cadence (``maillage refresh_observatory --force``).
    trigger = models.CharField(max_length=10, choices=Trigger.choices, blank=True)
    forced = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "actualisation de l'observatoire"

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.status}"


class Coverage(models.Model):
    """How many of a territory's associations in the directory are on the platform (issue 23), for the last year.

    ``directory`` is the directory's count, perturbed by the cell-key method like every published count;
    ``platform`` is the territory's published ``associations`` of that year (empty when the cell is secret)."""

    level = models.CharField(max_length=12, choices=Level.choices)
    code = models.CharField(max_length=9)
    year = models.PositiveSmallIntegerField()
    directory = models.PositiveIntegerField(null=True)
    platform = models.PositiveIntegerField(null=True)

    class Meta:
        verbose_name = "couverture de l'observatoire"
        constraints = [models.UniqueConstraint(fields=["level", "code"], name="obs_coverage_unique")]

    def __str__(self) -> str:
        return f"{self.level}:{self.code} {self.platform}/{self.directory}"

    @property
    def share(self) -> float | None:
        if self.platform is None or not self.directory:
            return None
        return min(1.0, self.platform / self.directory)


class Estimate(models.Model):
    """A key share weighted to the directory's population by sector and budget band, with its 95 % interval
    (issue 23; docs/observatory.md, "Coverage and uncertainty"). Empty (secret) when the base is too small."""

    level = models.CharField(max_length=12, choices=Level.choices)
    code = models.CharField(max_length=9)
    year = models.PositiveSmallIntegerField()
    indicator = models.CharField(max_length=40)
    estimate = models.FloatField(null=True)
    low = models.FloatField(null=True)
    high = models.FloatField(null=True)

    class Meta:
        verbose_name = "estimation pondérée de l'observatoire"
        constraints = [
            models.UniqueConstraint(fields=["level", "code", "year", "indicator"], name="obs_estimate_unique")
        ]

    def __str__(self) -> str:
        return f"{self.level}:{self.code} {self.year} {self.indicator} {self.estimate} [{self.low}; {self.high}]"


class Survival(models.Model):
    """Survival of the alliances started in a year (``cohort``; 0 = every cohort together), Kaplan–Meier (issue 23):
    share still in progress after 1, 3 and 5 years, and the median duration in years. Empty when too few."""

    level = models.CharField(max_length=12, choices=Level.choices)
    code = models.CharField(max_length=9)
    cohort = models.PositiveSmallIntegerField()
    after_1 = models.FloatField(null=True)
    after_3 = models.FloatField(null=True)
    after_5 = models.FloatField(null=True)
    median_years = models.FloatField(null=True)
    suppression = models.CharField(max_length=10, choices=Suppression.choices, blank=True)

    class Meta:
        verbose_name = "survie des alliances"
        constraints = [models.UniqueConstraint(fields=["level", "code", "cohort"], name="obs_survival_unique")]

    def __str__(self) -> str:
        return f"{self.level}:{self.code} {self.cohort or 'toutes'} {self.after_1}/{self.after_3}/{self.after_5}"


class AuditTrail(models.Model):
    """What the disclosure auditor keeps of a published snapshot (decision 0013), never shown: the true figures
    behind each cell and the intervals an outsider could derive from it, so that the next refresh audits the
    differences between snapshots. Only the last two snapshots' are kept. ``data``: a NumPy ``.npz`` archive
    (:mod:`maillage.observatory.refresh`)."""

    run = models.OneToOneField(RefreshRun, on_delete=models.CASCADE, related_name="audit_trail")
    data = models.BinaryField()

    class Meta:
        ordering = ["-run_id"]
        verbose_name = "trace d'audit de l'observatoire"

    def __str__(self) -> str:
        return f"audit {self.run_id}"
