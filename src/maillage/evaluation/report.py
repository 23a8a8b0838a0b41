"""The partnership report (« bilan de partenariat »): one context for the page, the PDF and the API.

The PDF goes through WeasyPrint from a Django template, as the receipts do; charts are inline SVG so that they
render alike on screen and on paper, and every figure is also written as text (the PDF text stays extractable).
"""

from __future__ import annotations

from django.db.models import F, Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from maillage.alliances.actions import party_of
from maillage.alliances.models import Party
from maillage.evaluation import charts
from maillage.evaluation.actions import audience_for
from maillage.evaluation.measured_indicators import METHODS, measure
from maillage.evaluation.models import Audience, Evaluation, Impact, Objective, Question
from maillage.evaluation.reconcile import RECONCILE_METHOD, measured_by_party, objective_lines, reconcile
from maillage.evaluation.scoring import SCORE_METHOD, cross_view, history, responses_prefetch


def evaluations_for(workspace):
    """Evaluations the workspace may open, with what the cross view and the report need (fixed queries)."""
    return (
        Evaluation.objects.visible_to(workspace)
        .select_related("alliance", "questionnaire", "opened_by_workspace")
        .prefetch_related(
            Prefetch("alliance__parties", queryset=Party.objects.select_related("organization")),
            responses_prefetch(),
        )
    )


def questions_by_questionnaire(questionnaire_ids) -> dict[int, list[Question]]:
    grouped: dict[int, list[Question]] = {qid: [] for qid in questionnaire_ids}
    for question in Question.objects.filter(questionnaire_id__in=list(questionnaire_ids)).order_by("position"):
        grouped[question.questionnaire_id].append(question)
    return grouped


def cross_context(evaluation: Evaluation, workspace) -> dict:
    """The cross view, the scores with their method, and the history of the alliance's evaluations."""
    own = party_of(evaluation.alliance, workspace)
    others = list(evaluations_for(workspace).filter(alliance_id=evaluation.alliance_id).exclude(pk=evaluation.pk))
    questions = questions_by_questionnaire({evaluation.questionnaire_id} | {e.questionnaire_id for e in others})
    view = cross_view(evaluation, own.pk, questions=questions[evaluation.questionnaire_id])
    past = history([evaluation, *others], own.pk, questions)
    score_chart = charts.hbar(
        [(i.label, i.score) for i in view.impacts], title="Score par impact (sur 100)", maximum=100
    )
    party_rows = []
    for impact in view.impacts:
        for column in view.visible_columns:
            party_rows.append((f"{impact.label[:24]} · {column.name[:20]}", impact.party_means.get(column.party_id)))
    history_rows = [
        (f"{row['evaluation'].period_label[:16]} · {Impact(code).label[:24]}", score)
        for row in past
        for code, score in row["scores"].items()
    ]
    return {
        "evaluation": evaluation,
        "alliance": evaluation.alliance,
        "own_party": own,
        "view": view,
        "history": past,
        "score_method": SCORE_METHOD,
        "score_chart": score_chart,
        "party_chart": charts.hbar(party_rows, title="Moyenne de chaque partie (1 à 5)", maximum=5),
        "history_chart": charts.hbar(history_rows, title="Scores par période (sur 100)", maximum=100)
        if len(past) > 1
        else "",
    }


def report_context(evaluation: Evaluation, workspace) -> dict:
    context = cross_context(evaluation, workspace)
    own = context["own_party"]
    is_association = audience_for(own.organization) == Audience.ASSOCIATION
    indicators = measure(
        evaluation.alliance,
        evaluation.period_start,
        evaluation.period_end,
        association_party=own if is_association else None,
        association_workspace=workspace if is_association else None,
    )
    context.update(
        {
            "indicators": indicators,
            "indicator_methods": METHODS,
            "resources_chart": charts.hbar(
                [(line.label, line.total) for line in indicators.by_kind],
                title="Ressources mobilisées par nature (€)",
                unit=" €",
            )
            if indicators.by_kind
            else "",
            "time_chart": charts.hbar(
                [(p.name, p.hours) for p in indicators.time_by_party],
                title="Temps investi par partie (heures)",
                unit=" h",
            )
            if indicators.time_by_party
            else "",
            "generated_at": timezone.localtime(),
            # Every party of the period, those that left with their date (decision 0017).
            "parties": [
                p
                for p in evaluation.alliance.parties.all()
                if p.left_at is None or timezone.localdate(p.left_at) > evaluation.period_start
            ],
            "objectives": objective_lines(
                evaluation,
                context["view"],
                indicators,
                list(
                    Objective.objects.filter(alliance=evaluation.alliance)
                    .select_related("party__organization")
                    .order_by(F("party_id").asc(nulls_first=True), "id")  # the common good first, on every database
                ),
            ),
            "flags": reconcile(
                context["view"], measured_by_party(evaluation.alliance, evaluation.period_start, evaluation.period_end)
            ),
            "reconcile_method": RECONCILE_METHOD,
        }
    )
    return context


def render_pdf(context: dict, *, base_url: str = "/") -> bytes:
    from weasyprint import HTML

    html = render_to_string("web/evaluation/report_pdf.html", {**context, "pdf": True})
    return HTML(string=html, base_url=base_url).write_pdf()
