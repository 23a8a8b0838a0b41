"""Evaluations of alliances: a versioned questionnaire on the three impacts, each party's answers, reminders.

The questionnaire is data (``Questionnaire`` / ``Question``, with a version); an evaluation keeps the version it was
opened with, so that answers stay comparable across periods. Each party answers its own ``Response`` from its
workspace; another party sees it only once the evaluation is closed, or earlier if the answering party shared it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from maillage.core.tenancy import ThroughAllianceQuerySet


class Impact(models.TextChoices):
    """The three impacts of alliances named by the Observatoire des partenariats (Le RAMEAU)."""

    PERFORMANCE = "performance", "Performance des organisations"
    INNOVATION = "innovation", "Innovation territoriale"
    TRUST = "trust", "Confiance et engagement"
    # Version 2: the balance of the relationship and what each party attributes to it (Le RAMEAU's evaluation
    # method looks at the relationship itself, beside what it produces).
    RELATIONSHIP = "relationship", "Équilibre de la relation"


class Audience(models.TextChoices):
    """Which parties a question is asked to: the performance impact has a variant per kind of party."""

    ALL = "all", "Toutes les parties"
    ASSOCIATION = "association", "Association ou structure d'intérêt général"
    COMPANY = "company", "Entreprise"
    PUBLIC = "public", "Acteur public"


class QuestionKind(models.TextChoices):
    SCALE = "scale", "Échelle de 1 à 5"
    NUMBER = "number", "Nombre"
    TEXT = "text", "Texte court"


class ScaleType(models.TextChoices):
    """What a 1–5 scale measures. Only agreement scales enter the score: a maturity level, a change around
    « stable » (3) or a share attributed are other measures, shown with their labels and never averaged with them."""

    AGREEMENT = "agreement", "Accord (de « pas du tout » à « pleinement »)"
    LEVEL = "level", "Niveau atteint ou probabilité"
    CHANGE = "change", "Évolution (3 = stable)"
    SHARE = "share", "Part attribuée à l'alliance"


NOT_KNOWN = "nsp"  # the value that says « ne sait pas / non applicable », on every scale and number


class Questionnaire(models.Model):
    code = models.CharField(max_length=40, default="impacts")
    version = models.PositiveSmallIntegerField()
    title = models.CharField("titre", max_length=200)
    introduction = models.TextField(blank=True)
    published_on = models.DateField()

    class Meta:
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="questionnaire_unique_version")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class Question(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="questions")
    # Stable across versions: a question kept from one version to the next keeps its code.
    code = models.CharField(max_length=40)
    impact = models.CharField(max_length=12, choices=Impact.choices)
    audience = models.CharField(max_length=12, choices=Audience.choices, default=Audience.ALL)
    kind = models.CharField(max_length=8, choices=QuestionKind.choices)
    text = models.CharField("question", max_length=300)
    help_text = models.CharField(max_length=300, blank=True)
    scale_labels = models.JSONField(default=list, blank=True, help_text="5 libellés, de 1 à 5")
    scale_type = models.CharField(max_length=10, choices=ScaleType.choices, default=ScaleType.AGREEMENT)
    min_value = models.IntegerField(null=True, blank=True)
    max_value = models.IntegerField(null=True, blank=True)
    unit = models.CharField(max_length=30, blank=True)
    required = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["questionnaire", "position"]
        constraints = [models.UniqueConstraint(fields=["questionnaire", "code"], name="question_unique_code")]

    def __str__(self) -> str:
        return self.text

    def asked_to(self, audience: str) -> bool:
        return self.audience in (Audience.ALL, audience)

    @property
    def is_scored(self) -> bool:
        return self.kind == QuestionKind.SCALE and self.scale_type == ScaleType.AGREEMENT


class EvaluationStatus(models.TextChoices):
    OPEN = "open", "Ouverte"
    CLOSED = "closed", "Clôturée"


class EvaluationQuerySet(ThroughAllianceQuerySet):
    """Evaluations of the alliances in which the workspace is an active party. ``None`` sees nothing."""


class Evaluation(models.Model):
    alliance = models.ForeignKey("alliances.Alliance", on_delete=models.CASCADE, related_name="evaluations")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="evaluations")
    period_label = models.CharField("période", max_length=100)
    period_start = models.DateField("du")
    period_end = models.DateField("au")
    status = models.CharField(max_length=8, choices=EvaluationStatus.choices, default=EvaluationStatus.OPEN)
    opened_by_workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.PROTECT, related_name="+")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = EvaluationQuerySet.as_manager()

    class Meta:
        ordering = ["-period_end", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["alliance", "period_start", "period_end"], name="evaluation_unique_period")
        ]
        indexes = [models.Index(fields=["alliance", "period_end"], name="evaluation_alliance_idx")]

    def __str__(self) -> str:
        return f"{self.alliance} — {self.period_label}"

    @property
    def is_closed(self) -> bool:
        return self.status == EvaluationStatus.CLOSED


class Response(models.Model):
    """One party's answers to one evaluation (its own variant of the questionnaire)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="responses")
    party = models.ForeignKey("alliances.Party", on_delete=models.CASCADE, related_name="evaluation_responses")
    # The version answered, kept with the answers (equal to the evaluation's when they were given).
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    audience = models.CharField(max_length=12, choices=Audience.choices)
    shared_early = models.BooleanField("partagée avant la clôture", default=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    # Sent through a personal link by a party without an account (``ResponseLink``): still that party's view.
    answered_by_link = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["party__created_at", "party_id"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "party"], name="response_unique_party")]

    def __str__(self) -> str:
        return f"{self.party} — {self.evaluation}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    scale_value = models.PositiveSmallIntegerField(null=True, blank=True)
    number_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    text_value = models.TextField(max_length=1000, blank=True)
    # « Ne sait pas / non applicable »: an answer given, counted in the coverage, never in a mean.
    not_known = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_unique_question"),
            models.CheckConstraint(
                condition=models.Q(scale_value__isnull=True) | models.Q(scale_value__gte=1, scale_value__lte=5),
                name="answer_scale_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question.code} = {self.value}"

    @property
    def value(self):
        if self.not_known:
            return NOT_KNOWN
        if self.scale_value is not None:
            return self.scale_value
        if self.number_value is not None:
            return self.number_value
        return self.text_value


class Measure(models.TextChoices):
    """A figure Maillage measures itself, that an objective's indicator may be reconciled with."""

    NONE = "", "Déclaré par les parties seulement"
    TOTAL_VALUE = "total_value", "Valeur des contributions (€)"
    MONEY = "money", "Dons financiers reçus ou promis (€)"
    SKILLS_HOURS = "skills_hours", "Heures de mécénat de compétences"
    VOLUNTEERING_HOURS = "volunteering_hours", "Heures de bénévolat"
    INTERACTIONS = "interactions", "Nombre d'échanges"
    PEOPLE = "people", "Personnes engagées (borne basse)"


class Objective(models.Model):
    """An objective stated when the alliance is formalised: one party's own, or the common-good objective
    (``party`` empty), with its indicator (unit, baseline, target) and the period it runs over."""

    alliance = models.ForeignKey("alliances.Alliance", on_delete=models.CASCADE, related_name="objectives")
    party = models.ForeignKey(
        "alliances.Party", on_delete=models.CASCADE, null=True, blank=True, related_name="objectives"
    )
    title = models.CharField("objectif", max_length=300)
    indicator = models.CharField("indicateur", max_length=200)
    unit = models.CharField("unité", max_length=30)
    baseline = models.DecimalField("valeur de départ", max_digits=14, decimal_places=2)
    target = models.DecimalField("cible", max_digits=14, decimal_places=2)
    period_start = models.DateField("du")
    period_end = models.DateField("au")
    measure = models.CharField("rapproché de", max_length=20, choices=Measure.choices, blank=True, default="")
    created_by_workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["alliance", "party_id", "id"]
        indexes = [models.Index(fields=["alliance", "period_end"], name="objective_alliance_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_common_good(self) -> bool:
        return self.party_id is None

    def overlaps(self, start, end) -> bool:
        return self.period_start <= end and self.period_end >= start


class ObjectiveResult(models.Model):
    """What one party reports, in one evaluation, for one objective's indicator."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="objective_results")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="results")
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    not_known = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "objective"], name="objective_result_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.objective} = {self.shown}"

    @property
    def shown(self):
        return NOT_KNOWN if self.not_known else self.value


class ResponseLink(models.Model):
    """A personal link for a party without an account to answer an evaluation: single use, expiring, revocable.
    Only the SHA-256 of its token is stored; the token itself is in the e-mail alone."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField("e-mail du destinataire")
    created_by_workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Lien de réponse pour {self.response.party.organization}"

    def state(self, now) -> str:
        if self.revoked_at:
            return "revoked"
        if self.used_at:
            return "used"
        if now >= self.expires_at:
            return "expired"
        return "active"
