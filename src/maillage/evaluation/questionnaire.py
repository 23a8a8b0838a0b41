"""The questionnaire on the three impacts, as data: versions 1 and 2, seeded by ``post_migrate``.

A new version is a new entry of ``VERSIONS`` (never an edit of a published one): questions kept from one version to
the next keep their code, so that answers stay comparable across periods. The three impacts and the variants of the
first impact follow the Observatoire des partenariats (Le RAMEAU), as the MOOC on the associations' economic model
presents them: the association consolidates its economic model, the company carries out its CSR strategy, the
public actor implements a co-constructed public policy.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from maillage.evaluation.models import Audience, Impact, Question, QuestionKind, Questionnaire, ScaleType

CODE = "impacts"

AGREE = ["Pas du tout", "Un peu", "Moyennement", "Nettement", "Pleinement"]

V1_QUESTIONS: list[dict] = [
    # 1. Performance of the organisations, one variant per kind of party.
    {
        "code": "perf_model",
        "impact": Impact.PERFORMANCE,
        "audience": Audience.ASSOCIATION,
        "text": "L'alliance consolide-t-elle le modèle économique de votre structure ?",
        "help_text": "Ressources plus sûres, plus diverses, mieux réparties entre les trois piliers.",
        "scale_labels": AGREE,
    },
    {
        "code": "perf_resources",
        "impact": Impact.PERFORMANCE,
        "audience": Audience.ASSOCIATION,
        "text": "A-t-elle permis de capter des ressources nouvelles (financières, humaines, matérielles) ?",
        "scale_labels": AGREE,
    },
    {
        "code": "perf_capacity",
        "impact": Impact.PERFORMANCE,
        "audience": Audience.ASSOCIATION,
        "text": "A-t-elle accru votre capacité d'action et votre rayonnement ?",
        "scale_labels": AGREE,
    },
    {
        "code": "perf_csr",
        "impact": Impact.PERFORMANCE,
        "audience": Audience.COMPANY,
        "text": "L'alliance concrétise-t-elle la stratégie RSE de votre entreprise ?",
        "scale_labels": AGREE,
    },
    {
        "code": "perf_employees",
        "impact": Impact.PERFORMANCE,
        "audience": Audience.COMPANY,
        "text": "Mobilise-t-elle vos salariés et renforce-t-elle leur engagement ?",
        "scale_labels": AGREE,
    },
    {
        "code": "perf_anchoring",
        "impact": Impact.PERFORMANCE,
        "audience": Audience.COMPANY,
        "text": "Renforce-t-elle l'ancrage territorial de votre entreprise ?",
        "scale_labels": AGREE,
    },
    {
        "code": "perf_policy",
        "impact": Impact.PERFORMANCE,
        "audience": Audience.PUBLIC,
        "text": "L'alliance met-elle en œuvre une politique publique co-construite ?",
        "scale_labels": AGREE,
    },
    {
        "code": "perf_policy_solid",
        "impact": Impact.PERFORMANCE,
        "audience": Audience.PUBLIC,
        "text": "Cette politique en est-elle plus solide (adhésion des acteurs, continuité) ?",
        "scale_labels": AGREE,
    },
    {
        "code": "perf_reach",
        "impact": Impact.PERFORMANCE,
        "audience": Audience.PUBLIC,
        "text": "Atteint-elle des publics ou des lieux que votre action n'atteignait pas ?",
        "scale_labels": AGREE,
    },
    {
        "code": "perf_comment",
        "impact": Impact.PERFORMANCE,
        "kind": QuestionKind.TEXT,
        "text": "En une phrase : ce que l'alliance a changé pour votre organisation",
    },
    # 2. Territorial innovation.
    {
        "code": "innov_solution",
        "impact": Impact.INNOVATION,
        "text": "Une solution nouvelle a-t-elle émergé de l'alliance ?",
        "scale_labels": [
            "Aucune",
            "Une idée",
            "Un prototype",
            "Une solution en service",
            "Une solution éprouvée et documentée",
        ],
        "scale_type": ScaleType.LEVEL,
    },
    {
        "code": "innov_scale",
        "impact": Impact.INNOVATION,
        "text": "Peut-elle être déployée à plus grande échelle ?",
        "scale_labels": ["Non", "Peu probable", "Possible", "Probable", "Déjà en préparation"],
        "scale_type": ScaleType.LEVEL,
    },
    {
        "code": "innov_places",
        "impact": Impact.INNOVATION,
        "kind": QuestionKind.NUMBER,
        "text": "Sur combien d'autres territoires a-t-elle déjà été déployée ?",
        "min_value": 0,
        "max_value": 1000,
        "unit": "territoires",
    },
    {
        "code": "innov_description",
        "impact": Impact.INNOVATION,
        "kind": QuestionKind.TEXT,
        "text": "Quelle solution, et où a-t-elle été déployée ?",
    },
    # 3. Trust and engagement.
    {
        "code": "trust_evolution",
        "impact": Impact.TRUST,
        "text": "Comment la confiance entre les parties a-t-elle évolué ?",
        "scale_labels": ["Fortement dégradée", "Dégradée", "Stable", "Renforcée", "Fortement renforcée"],
        "scale_type": ScaleType.CHANGE,
    },
    {
        "code": "trust_collective",
        "impact": Impact.TRUST,
        "text": "Le territoire a-t-il gagné en capacité d'agir collectivement ?",
        "scale_labels": AGREE,
    },
    {
        "code": "trust_employees",
        "impact": Impact.TRUST,
        "kind": QuestionKind.NUMBER,
        "text": "Salariés engagés (bénévolat, mécénat de compétences)",
        "min_value": 0,
        "max_value": 100000,
        "unit": "personnes",
    },
    {
        "code": "trust_volunteers",
        "impact": Impact.TRUST,
        "kind": QuestionKind.NUMBER,
        "text": "Bénévoles engagés",
        "min_value": 0,
        "max_value": 100000,
        "unit": "personnes",
    },
    {
        "code": "trust_beneficiaries",
        "impact": Impact.TRUST,
        "kind": QuestionKind.NUMBER,
        "text": "Bénéficiaires touchés",
        "min_value": 0,
        "max_value": 10000000,
        "unit": "personnes",
    },
    {
        "code": "trust_citizens",
        "impact": Impact.TRUST,
        "kind": QuestionKind.NUMBER,
        "text": "Habitants ou citoyens associés",
        "min_value": 0,
        "max_value": 10000000,
        "unit": "personnes",
    },
    {
        "code": "trust_comment",
        "impact": Impact.TRUST,
        "kind": QuestionKind.TEXT,
        "text": "Ce que le territoire sait faire ensemble aujourd'hui qu'il ne savait pas faire avant",
    },
]

# Version 2 carries every question of version 1 over with its code (answers stay comparable from one period to the
# next), adds an agreement question to the innovation and trust impacts (so that their scores no longer rest on
# scales of another kind), and a fourth group on the relationship itself: its balance, its governance, what each
# party attributes to it, and the hours and value each party declares (reconciled with what Maillage measured).
V2_EXTRA: list[dict] = [
    {
        "code": "innov_needs",
        "impact": Impact.INNOVATION,
        "text": "L'alliance apporte-t-elle des réponses nouvelles aux besoins du territoire ?",
        "scale_labels": AGREE,
        "after": "innov_scale",
    },
    {
        "code": "trust_kept",
        "impact": Impact.TRUST,
        "text": "Les engagements pris entre les parties ont-ils été tenus ?",
        "scale_labels": AGREE,
        "after": "trust_collective",
    },
    {
        "code": "rel_balance",
        "impact": Impact.RELATIONSHIP,
        "text": "La relation est-elle équilibrée : chaque partie donne et reçoit à la mesure de ses engagements ?",
        "scale_labels": AGREE,
    },
    {
        "code": "rel_listened",
        "impact": Impact.RELATIONSHIP,
        "text": "Vos attentes et vos contraintes ont-elles été entendues par les autres parties ?",
        "scale_labels": AGREE,
    },
    {
        "code": "rel_governance",
        "impact": Impact.RELATIONSHIP,
        "text": "Les décisions de l'alliance sont-elles prises ensemble ?",
        "scale_labels": AGREE,
    },
    {
        "code": "rel_attribution",
        "impact": Impact.RELATIONSHIP,
        "text": "Quelle part des résultats observés attribuez-vous à l'alliance, plutôt qu'à d'autres causes ?",
        "help_text": "D'autres actions, d'autres financeurs ou le contexte ont pu contribuer aux mêmes résultats.",
        "scale_labels": ["Aucune", "Une faible part", "Une part notable", "L'essentiel", "La totalité"],
        "scale_type": ScaleType.SHARE,
    },
    {
        "code": "rel_hours",
        "impact": Impact.RELATIONSHIP,
        "kind": QuestionKind.NUMBER,
        "text": "Heures consacrées à l'alliance par votre organisation sur la période",
        "help_text": "Réunions, préparation, mécénat de compétences, bénévolat : une estimation suffit.",
        "min_value": 0,
        "max_value": 1000000,
        "unit": "heures",
    },
    {
        "code": "rel_value",
        "impact": Impact.RELATIONSHIP,
        "kind": QuestionKind.NUMBER,
        "text": "Valeur de ce que votre organisation a apporté sur la période (argent, nature, compétences)",
        "min_value": 0,
        "max_value": 100000000,
        "unit": "€",
    },
    {
        "code": "rel_comment",
        "impact": Impact.RELATIONSHIP,
        "kind": QuestionKind.TEXT,
        "text": "Ce qui rendrait la relation plus équilibrée",
    },
]


def _v2_questions() -> list[dict]:
    questions = [dict(q) for q in V1_QUESTIONS]
    for extra in V2_EXTRA:
        extra = dict(extra)
        after = extra.pop("after", None)
        at = len(questions) if after is None else next(i for i, q in enumerate(questions) if q["code"] == after) + 1
        questions.insert(at, extra)
    return questions


V2_QUESTIONS = _v2_questions()

VERSIONS: dict[int, dict] = {
    1: {
        "title": "Les trois impacts de l'alliance",
        "introduction": (
            "Chaque partie répond de son propre point de vue. Les échelles vont de 1 à 5 ; les nombres et les "
            "textes sont facultatifs. Vos réponses restent privées jusqu'à la clôture de l'évaluation, sauf si "
            "vous choisissez de les partager plus tôt."
        ),
        "published_on": date(2026, 1, 1),
        "questions": V1_QUESTIONS,
    },
    2: {
        "title": "Les trois impacts de l'alliance et l'équilibre de la relation",
        "introduction": (
            "Chaque partie répond de son propre point de vue. Les échelles vont de 1 à 5 ; « Ne sait pas / non "
            "applicable » est toujours possible et ne compte dans aucune moyenne. Les nombres et les textes sont "
            "facultatifs. Vos réponses restent privées jusqu'à la clôture de l'évaluation, sauf si vous choisissez "
            "de les partager plus tôt."
        ),
        "published_on": date(2026, 12, 1),
        "questions": V2_QUESTIONS,
    },
}


@transaction.atomic
def sync_questionnaires() -> None:
    """Create the published versions that the database lacks. A published version is never modified."""
    existing = set(Questionnaire.objects.filter(code=CODE).values_list("version", flat=True))
    for version, spec in VERSIONS.items():
        if version in existing:
            continue
        questionnaire = Questionnaire.objects.create(
            code=CODE,
            version=version,
            title=spec["title"],
            introduction=spec["introduction"],
            published_on=spec["published_on"],
        )
        Question.objects.bulk_create(
            Question(
                questionnaire=questionnaire,
                position=position,
                code=q["code"],
                impact=q["impact"],
                audience=q.get("audience", Audience.ALL),
                kind=q.get("kind", QuestionKind.SCALE),
                text=q["text"],
                help_text=q.get("help_text", ""),
                scale_labels=q.get("scale_labels", []),
                scale_type=q.get("scale_type", ScaleType.AGREEMENT),
                min_value=q.get("min_value"),
                max_value=q.get("max_value"),
                unit=q.get("unit", ""),
            )
            for position, q in enumerate(spec["questions"], start=1)
        )


def current_questionnaire() -> Questionnaire:
    questionnaire = Questionnaire.objects.filter(code=CODE).order_by("-version").first()
    if questionnaire is None:
        sync_questionnaires()
        questionnaire = Questionnaire.objects.filter(code=CODE).order_by("-version").first()
    if questionnaire is None:  # no version shipped (or the database refused the writing): said, not a 500
        raise ValidationError(
            "Aucun questionnaire d'évaluation n'est publié sur cette installation : l'administrateur de Maillage "
            "doit lancer « maillage migrate », qui crée les versions livrées."
        )
    return questionnaire
