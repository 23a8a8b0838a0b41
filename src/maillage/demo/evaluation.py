"""Demo step: closed evaluations with diverging views on the demo alliances, and four years of diagnostic.

Runs after the alliances step; does nothing when no demo alliance exists. Idempotent: an evaluation is looked up by
alliance and period, a diagnostic year by workspace and year.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from maillage.alliances.lifecycle import Stage
from maillage.alliances.models import Alliance
from maillage.diagnostic.actions import save_resource_year
from maillage.evaluation.actions import audience_for, questions_for
from maillage.evaluation.models import (
    Answer,
    Audience,
    Evaluation,
    EvaluationStatus,
    Objective,
    ObjectiveResult,
    QuestionKind,
    Questionnaire,
    Response,
)
from maillage.evaluation.questionnaire import CODE

ASSOCIATION = "Les Jardins Partagés du Rhône"
EVALUATED_STAGES = [Stage.ACTIVE, Stage.EVALUATION, Stage.RENEWED, Stage.CLOSED]

# Notes per audience and impact, by period of the alliance (first year answered with version 1 of the questionnaire,
# the second with version 2, which carries version 1's questions over): the association sees more than its partners
# on performance, the company less on innovation; the gap narrows the second year (trust grows).
NOTES = {
    0: {
        Audience.ASSOCIATION: {"performance": 5, "innovation": 4, "trust": 4, "relationship": 4},
        Audience.COMPANY: {"performance": 3, "innovation": 2, "trust": 3, "relationship": 3},
        Audience.PUBLIC: {"performance": 4, "innovation": 3, "trust": 2, "relationship": 3},
    },
    1: {
        Audience.ASSOCIATION: {"performance": 5, "innovation": 4, "trust": 5, "relationship": 4},
        Audience.COMPANY: {"performance": 4, "innovation": 3, "trust": 4, "relationship": 4},
        Audience.PUBLIC: {"performance": 4, "innovation": 4, "trust": 3, "relationship": 3},
    },
}
LABELS = ["Première année", "Deuxième année"]
TEXTS = {
    Audience.ASSOCIATION: "Un deuxième poste d'animateur financé ; des bénévoles venus de l'entreprise.",
    Audience.COMPANY: "Une journée solidaire par an qui fédère les équipes ; peu d'effet encore sur nos achats.",
    Audience.PUBLIC: "Un projet qui relaie notre plan alimentaire territorial dans deux quartiers.",
}
# Resources of the demo association (150–500 k€ budget band), its main funders, its human resources.
YEARS = {
    2022: (
        {"public_subsidies": "160000", "public_contracts": "20000", "sales": "25000", "fees": "6000", "gifts": "9000"},
        [("Métropole de Lyon", "public_subsidies", "140000")],
        ("4.0", 35, "2600"),
    ),
    2023: (
        {"public_subsidies": "150000", "public_contracts": "30000", "sales": "35000", "fees": "6500", "gifts": "18000"},
        [("Métropole de Lyon", "public_subsidies", "125000")],
        ("4.5", 42, "3100"),
    ),
    2024: (
        {
            "public_subsidies": "140000",
            "public_contracts": "40000",
            "sales": "45000",
            "fees": "7000",
            "gifts": "28000",
            "other": "3000",
        },
        [("Métropole de Lyon", "public_subsidies", "115000"), ("Banque Solidaire Lyonnaise", "gifts", "15000")],
        ("5.0", 48, "3600"),
    ),
    2025: (
        {
            "public_subsidies": "135000",
            "public_contracts": "45000",
            "sales": "55000",
            "fees": "7500",
            "gifts": "32000",
            "other": "4000",
        },
        [
            ("Métropole de Lyon", "public_subsidies", "105000"),
            ("Ville de Villeurbanne", "public_contracts", "30000"),
            ("Banque Solidaire Lyonnaise", "gifts", "15000"),
        ],
        ("5.5", 55, "4200"),
    ),
    # The current year, as budgeted: the Métropole's share rises again after a cut elsewhere (an alert shows).
    2026: (
        {"public_subsidies": "150000", "public_contracts": "40000", "sales": "50000", "fees": "7500", "gifts": "30000"},
        [("Métropole de Lyon", "public_subsidies", "142000"), ("Banque Solidaire Lyonnaise", "gifts", "15000")],
        ("5.5", 58, "4400"),
    ),
}


def _value(question, note: int, audience: str):
    if question.kind == QuestionKind.SCALE:
        # One divergent question per impact: the company doubts the solution can scale.
        if question.code == "innov_scale" and audience == Audience.COMPANY:
            return {"scale_value": max(1, note - 2)}
        return {"scale_value": note}
    if question.kind == QuestionKind.NUMBER:
        if question.code == "trust_citizens" and audience == Audience.COMPANY:
            return {"not_known": True}  # the company cannot tell: « ne sait pas »
        # The parties disagree on the beneficiaries: a divergence the report flags.
        beneficiaries = 1200 if audience == Audience.ASSOCIATION else 340
        return {
            "number_value": {
                "trust_volunteers": 25,
                "trust_employees": 12,
                "trust_beneficiaries": beneficiaries,
                "rel_hours": 60,
                "rel_value": 2000,
            }.get(question.code, 1)
        }
    return {"text_value": TEXTS[Audience(audience)]} if question.code == "perf_comment" else None


def _periods(alliance: Alliance, today: date) -> list[tuple[str, date, date]]:
    """Up to two periods of twelve months from the alliance's start, ended (and answered, a month later) before
    today and before the alliance's end; else one period of its first months."""
    start = alliance.starts_on or alliance.created_at.date()
    limit = min(today - timedelta(days=31), alliance.ends_on or today)
    periods = []
    for index, label in enumerate(LABELS):
        begin = start + timedelta(days=365 * index)
        end = begin + timedelta(days=364)
        if end > limit:
            break
        periods.append((label, begin, end))
    if not periods and start < limit - timedelta(days=60):
        periods.append(("Premiers mois", start, limit))
    return periods


def _objectives(alliance: Alliance, parties) -> list[Objective]:
    """The objectives stated when the alliance was formalised: the common good and the association's own."""
    existing = list(Objective.objects.filter(alliance=alliance))
    if existing:
        return existing
    start = alliance.starts_on or alliance.created_at.date()
    end = start + timedelta(days=729)
    lead = next((p for p in parties if p.role == "lead"), parties[0])
    common = {"alliance": alliance, "period_start": start, "period_end": end, "created_by_workspace": lead.workspace}
    return Objective.objects.bulk_create(
        [
            Objective(
                party=None,
                title="Donner accès à une alimentation saine aux habitants du quartier",
                indicator="Habitants bénéficiaires des jardins",
                unit="personnes",
                baseline=150,
                target=600,
                **common,
            ),
            Objective(
                party=lead,
                title="Diversifier les ressources de l'association",
                indicator="Valeur des contributions de l'alliance",
                unit="€",
                baseline=0,
                target=20000,
                measure="total_value",
                **common,
            ),
        ]
    )


def _evaluate(alliance: Alliance, index: int, period, questionnaire, objectives) -> None:
    label, start, end = period
    parties = [p for p in alliance.parties.select_related("organization") if p.left_at is None]
    opener = next((p.workspace for p in parties if p.workspace_id), None)
    if len(parties) < 2 or opener is None:
        return
    evaluation, created = Evaluation.objects.get_or_create(
        alliance=alliance,
        period_start=start,
        period_end=end,
        defaults={"questionnaire": questionnaire, "period_label": label, "opened_by_workspace": opener},
    )
    if not created:
        return
    submitted = timezone.make_aware(datetime.combine(end + timedelta(days=20), time(10)))
    for party in parties:
        audience = audience_for(party.organization)
        response = Response.objects.create(
            evaluation=evaluation,
            party=party,
            questionnaire=questionnaire,
            audience=audience,
            submitted_at=submitted,
            answered_by_link=party.workspace_id is None,
        )
        rows = []
        for question in questions_for(questionnaire, audience):
            value = _value(question, NOTES[index][Audience(audience)][question.impact], audience)
            if value:
                rows.append(Answer(response=response, question=question, **value))
        Answer.objects.bulk_create(rows)
        results = []
        for objective in objectives:
            if objective.party_id not in (None, party.pk):
                continue
            if objective.unit == "€":
                value = 6000 if index == 0 else 14000
            else:
                value = (320 if index == 0 else 480) if audience == Audience.ASSOCIATION else 200
            results.append(ObjectiveResult(response=response, objective=objective, value=value))
        ObjectiveResult.objects.bulk_create(results)
    evaluation.status = EvaluationStatus.CLOSED
    evaluation.closed_at = timezone.make_aware(datetime.combine(end + timedelta(days=30), time(10)))
    evaluation.save(update_fields=["status", "closed_at"])


def seed(ctx: dict) -> None:
    workspaces = list(ctx["workspaces"].values())
    # Alliances far enough along to be evaluated, those shared by several workspaces first.
    alliances = sorted(
        Alliance.objects.filter(parties__workspace__in=workspaces, stage__in=EVALUATED_STAGES).distinct(),
        key=lambda a: (-sum(1 for p in a.parties.all() if p.workspace_id), a.pk),
    )[:3]
    if not alliances:
        return
    versions = {q.version: q for q in Questionnaire.objects.filter(code=CODE)}
    today = timezone.localdate()
    for alliance in alliances:
        parties = [p for p in alliance.parties.all() if p.left_at is None]
        objectives = _objectives(alliance, parties) if parties and parties[0].workspace_id else []
        for index, period in enumerate(_periods(alliance, today)):
            _evaluate(alliance, index, period, versions[min(index + 1, max(versions))], objectives)
    workspace = ctx["workspaces"].get(ASSOCIATION)
    if workspace is None:
        return
    for year, (resources, funders, (fte, volunteers, hours)) in YEARS.items():
        save_resource_year(
            workspace=workspace,
            user=None,
            year=year,
            resources=resources,
            human={
                "employees_fte": fte,
                "volunteers": volunteers,
                "volunteer_hours": hours,
                "skills_received_hours": "120" if year >= 2024 else "0",
                "skills_received_value": "5400" if year >= 2024 else "0",
            },
            funders=funders,
        )
