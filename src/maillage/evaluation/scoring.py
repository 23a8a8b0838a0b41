"""Scores per impact, the cross view of the parties' answers, divergences and history. Pure reads.

Method (written on the pages, in ``SCORE_METHOD``): for each impact, each party's answers on the 1–5 scales are
averaged; the impact's mean is the mean of the parties' means (each party weighs the same, whatever the number of
its questions); the score out of 100 is (mean − 1) / 4 × 100, rounded half up. A question diverges when the notes of
the parties that answered it differ by 2 points or more; an impact diverges when the parties' means do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch

from maillage.evaluation.actions import can_see
from maillage.evaluation.models import Answer, Evaluation, Impact, QuestionKind, Response

DIVERGENCE_POINTS = 2
SCORE_METHOD = (
    "Pour chaque impact, on fait la moyenne des notes de 1 à 5 de chaque partie, puis la moyenne de ces moyennes "
    "(chaque partie pèse autant, quel que soit son nombre de questions) ; le score sur 100 vaut "
    "(moyenne − 1) ÷ 4 × 100, arrondi à l'unité. Seules les réponses envoyées et visibles de votre espace comptent. "
    f"Une divergence est signalée quand les notes de deux parties diffèrent de {DIVERGENCE_POINTS} points ou plus "
    "sur une même question, ou quand leurs moyennes sur un impact diffèrent d'autant."
)
TWO = Decimal("0.01")


def mean(values) -> Decimal | None:
    values = [Decimal(v) for v in values]
    if not values:
        return None
    return (sum(values) / len(values)).quantize(TWO, rounding=ROUND_HALF_UP)


def score_of(mean_value: Decimal | None) -> int | None:
    """A 1–5 mean as a score out of 100: (mean − 1) / 4 × 100, rounded half up."""
    if mean_value is None:
        return None
    return int(((mean_value - 1) / 4 * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@dataclass
class Cell:
    party_id: int
    value: object = None
    label: str = ""
    hidden: bool = False
    asked: bool = True


@dataclass
class QuestionRow:
    code: str
    text: str
    kind: str
    unit: str
    audience: str
    cells: list[Cell] = field(default_factory=list)
    spread: int | None = None
    diverges: bool = False


@dataclass
class ImpactView:
    impact: str
    label: str
    rows: list[QuestionRow] = field(default_factory=list)
    party_means: dict[int, Decimal | None] = field(default_factory=dict)
    mean: Decimal | None = None
    score: int | None = None
    spread: Decimal | None = None
    diverges: bool = False
    column_means: list[Decimal | None] = field(default_factory=list)

    @property
    def divergent_rows(self) -> list[QuestionRow]:
        return [r for r in self.rows if r.diverges]


@dataclass
class Column:
    party_id: int
    name: str
    kind: str
    audience: str
    state: str  # "visible", "hidden", "pending" (not yet sent), "own"
    shared_early: bool = False


@dataclass
class CrossView:
    evaluation: Evaluation
    columns: list[Column]
    impacts: list[ImpactView]

    @property
    def visible_columns(self) -> list[Column]:
        return [c for c in self.columns if c.state in ("visible", "own")]

    @property
    def divergence_count(self) -> int:
        return sum(len(i.divergent_rows) + (1 if i.diverges else 0) for i in self.impacts)

    def scores(self) -> dict[str, int | None]:
        return {i.impact: i.score for i in self.impacts}


def responses_prefetch() -> Prefetch:
    return Prefetch(
        "responses",
        queryset=Response.objects.select_related("party__organization").prefetch_related(
            Prefetch("answers", queryset=Answer.objects.select_related("question"))
        ),
    )


def cross_view(evaluation: Evaluation, viewer_party_id: int | None, *, questions=None) -> CrossView:
    """The parties' answers side by side, per impact, as the viewing party may see them.

    ``evaluation`` must carry ``responses_prefetch()`` and its questionnaire's questions (``questions``), so that
    the view costs no query per party or per question.
    """
    responses = list(evaluation.responses.all())
    columns: list[Column] = []
    visible: list[Response] = []
    for response in responses:
        if response.party_id == viewer_party_id:
            state = "own"
        elif not response.is_submitted:
            state = "pending"
        elif can_see(response, viewer_party_id, evaluation):
            state = "visible"
        else:
            state = "hidden"
        if state == "own" and not response.is_submitted and not response.answers.all():
            state = "pending"
        columns.append(
            Column(
                party_id=response.party_id,
                name=response.party.organization.name,
                kind=response.party.organization.get_kind_display(),
                audience=response.get_audience_display(),
                state=state,
                shared_early=response.shared_early,
            )
        )
        if state in ("visible", "own"):
            visible.append(response)
    # Own answers count in the scores only once sent: a draft is nobody's view yet.
    counted = [r for r in visible if r.is_submitted]
    answers = {(r.party_id, a.question_id): a for r in visible for a in r.answers.all()}
    counted_ids = {r.party_id for r in counted}
    questions = list(questions if questions is not None else evaluation.questionnaire.questions.all())
    audiences = {r.audience for r in responses}
    impacts = []
    for impact in Impact:
        view = ImpactView(impact=impact.value, label=impact.label)
        party_scales: dict[int, list[int]] = {r.party_id: [] for r in counted}
        for question in questions:
            if question.impact != impact or not any(question.asked_to(a) for a in audiences):
                continue
            row = QuestionRow(
                code=question.code,
                text=question.text,
                kind=question.kind,
                unit=question.unit,
                audience=question.get_audience_display(),
            )
            notes = []
            for column, response in zip(columns, responses, strict=True):
                cell = Cell(
                    party_id=column.party_id,
                    hidden=column.state in ("hidden", "pending"),
                    asked=question.asked_to(response.audience),
                )
                answer = answers.get((column.party_id, question.id))
                if answer is not None and not cell.hidden:
                    cell.value = answer.value
                    if answer.scale_value is not None:
                        cell.label = question.scale_labels[answer.scale_value - 1]
                        if column.party_id in counted_ids:
                            notes.append(answer.scale_value)
                            party_scales[column.party_id].append(answer.scale_value)
                row.cells.append(cell)
            if question.kind == QuestionKind.SCALE and len(notes) >= 2:
                row.spread = max(notes) - min(notes)
                row.diverges = row.spread >= DIVERGENCE_POINTS
            view.rows.append(row)
        view.party_means = {pid: mean(notes) for pid, notes in party_scales.items()}
        view.column_means = [view.party_means.get(c.party_id) for c in columns]
        means = [m for m in view.party_means.values() if m is not None]
        view.mean = mean(means)
        view.score = score_of(view.mean)
        if len(means) >= 2:
            view.spread = max(means) - min(means)
            view.diverges = view.spread >= DIVERGENCE_POINTS
        impacts.append(view)
    return CrossView(evaluation=evaluation, columns=columns, impacts=impacts)


def history(evaluations, viewer_party_id: int | None, questions_by_questionnaire: dict) -> list[dict]:
    """Scores per impact for each period of one alliance, oldest first (each evaluation's own visibility)."""
    rows = []
    for evaluation in sorted(evaluations, key=lambda e: (e.period_end, e.pk)):
        view = cross_view(
            evaluation, viewer_party_id, questions=questions_by_questionnaire[evaluation.questionnaire_id]
        )
        rows.append(
            {
                "evaluation": evaluation,
                "scores": view.scores(),
                "answered": len([c for c in view.columns if c.state in ("visible", "own")]),
            }
        )
    return rows
