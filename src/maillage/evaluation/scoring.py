"""Scores per impact, the cross view of the parties' answers, divergences and history. Pure reads.

Method (written on the pages, in ``SCORE_METHOD``): for each impact, each party's answers on the 1–5 agreement
scales are averaged (a level, a change around « stable » or a share attributed is another kind of scale: shown, never
averaged with them; « ne sait pas / non applicable » counts in the coverage, never in a mean); the impact's mean is
the mean of the parties' means (each party weighs the same, whatever the number of its questions); the score out of
100 is (mean − 1) / 4 × 100, rounded half up. Beside every score, its coverage: how many parties' views it rests on,
out of the parties of the period (« une seule vue » is never called convergent). A question diverges when the notes of
the parties that answered it differ by 2 points or more, a number when the parties' figures differ by a factor of 2 or
more; an impact diverges when the parties' means differ by 2 points or more.

Parties that left (decision 0017): a party's sent answers count for the periods that started before it left (it
was a party during them); it is listed with the date it left. A party that left before a period started is not asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch
from django.utils import timezone

from maillage.core.formats import amount
from maillage.evaluation.actions import can_see
from maillage.evaluation.models import Answer, Evaluation, Impact, ObjectiveResult, QuestionKind, Response

DIVERGENCE_POINTS = 2
DIVERGENCE_FACTOR = 2
SCORE_METHOD = (
    "Pour chaque impact, on fait la moyenne des notes de 1 à 5 de chaque partie sur les échelles d'accord (de "
    "« pas du tout » à « pleinement »), puis la moyenne de ces moyennes (chaque partie pèse autant, quel que soit son "
    "nombre de questions) ; le score sur 100 vaut (moyenne − 1) ÷ 4 × 100, arrondi à l'unité. Les échelles d'une "
    "autre nature (niveau atteint, évolution autour de « stable », part attribuée à l'alliance) sont montrées "
    "telles quelles et n'entrent dans aucune moyenne ; « ne sait pas / non applicable » non plus. Seules les réponses "
    "envoyées et visibles de votre espace comptent ; la couverture (combien de parties ont répondu, sur combien) "
    "figure à côté de chaque score, et un score qui ne repose que sur une partie est dit « une seule vue ». "
    f"Une divergence est signalée quand les notes de deux parties diffèrent de {DIVERGENCE_POINTS} points ou plus "
    "sur une même question, ou leurs moyennes sur un impact, et quand leurs chiffres sur une même question "
    f"diffèrent d'un facteur {DIVERGENCE_FACTOR} ou plus. Une partie qui a quitté l'alliance compte pour les "
    "périodes commencées avant son départ."
)
NOT_KNOWN_LABEL = "Ne sait pas / non applicable"
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
    not_known: bool = False


@dataclass
class QuestionRow:
    code: str
    text: str
    kind: str
    unit: str
    audience: str
    scale_type: str = ""
    scored: bool = False
    cells: list[Cell] = field(default_factory=list)
    spread: int | None = None
    diverges: bool = False
    gap: str = ""  # numbers: « 1 200 contre 15 »


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
    answered: int = 0  # parties whose sent, visible answers the impact rests on
    concerned: int = 0  # parties of the period
    not_known: int = 0  # « ne sait pas / non applicable » answers among them

    @property
    def divergent_rows(self) -> list[QuestionRow]:
        return [r for r in self.rows if r.diverges]

    @property
    def coverage(self) -> str:
        parties = f"{self.concerned} partie{'s' if self.concerned > 1 else ''}"
        text = f"{self.answered} vue{'s' if self.answered > 1 else ''} sur {parties}"
        if self.not_known:
            text += f", dont {self.not_known} « ne sait pas »"
        return text

    @property
    def views(self) -> str:
        """How the parties' views compare: never « convergentes » with fewer than two views."""
        if self.answered == 0:
            return "aucune vue"
        if self.answered == 1:
            return "une seule vue"
        if self.diverges:
            return f"divergentes (écart {self.spread})"
        if self.divergent_rows:
            n = len(self.divergent_rows)
            return f"divergentes sur {n} question{'s' if n > 1 else ''}"
        return "convergentes"


@dataclass
class Column:
    party_id: int
    name: str
    kind: str
    audience: str
    state: str  # "visible", "hidden", "pending" (not yet sent), "own", "no_account" (no workspace, no link yet)
    shared_early: bool = False
    left_on: object = None  # the date the party left the alliance, if it did
    by_link: bool = False


@dataclass
class CrossView:
    evaluation: Evaluation
    columns: list[Column]
    impacts: list[ImpactView]
    responses: list[Response] = field(default_factory=list)  # the ones the viewer may see (own drafts included)

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
            Prefetch("answers", queryset=Answer.objects.select_related("question")),
            Prefetch("objective_results", queryset=ObjectiveResult.objects.all()),
        ),
    )


def _took_part(party, evaluation: Evaluation) -> bool:
    """A party that left counts for the periods that started before it left (decision 0017)."""
    return party.left_at is None or timezone.localdate(party.left_at) > evaluation.period_start


def _figure(value) -> str:
    return amount(value, 0) if value == value.to_integral_value() else amount(value)


def _number_gap(values: list[Decimal]) -> str:
    """« 1 200 contre 15 » when the parties' figures differ by a factor of 2 or more (or one is 0), else ""."""
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    if high <= 0 or (low > 0 and high < low * DIVERGENCE_FACTOR):
        return ""
    return f"{_figure(high)} contre {_figure(low)}"


def cross_view(evaluation: Evaluation, viewer_party_id: int | None, *, questions=None) -> CrossView:
    """The parties' answers side by side, per impact, as the viewing party may see them.

    ``evaluation`` must carry ``responses_prefetch()``, its alliance's parties, and its questionnaire's questions
    (``questions``), so that the view costs no query per party or per question.
    """
    responses = [r for r in evaluation.responses.all() if _took_part(r.party, evaluation)]
    answering = {r.party_id for r in responses}
    # Active parties without a workspace and without a response yet: concerned too (they answer by a link).
    silent = [
        p
        for p in evaluation.alliance.parties.all()
        if p.pk not in answering and p.workspace_id is None and _took_part(p, evaluation)
    ]
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
                left_on=timezone.localdate(response.party.left_at) if response.party.left_at else None,
                by_link=response.answered_by_link,
            )
        )
        if state in ("visible", "own"):
            visible.append(response)
    pairs: list[tuple[Column, Response | None]] = list(zip(columns, responses, strict=True))
    for party in silent:
        column = Column(
            party_id=party.pk,
            name=party.organization.name,
            kind=party.organization.get_kind_display(),
            audience="",
            state="no_account",
        )
        columns.append(column)
        pairs.append((column, None))
    # Own answers count in the scores only once sent: a draft is nobody's view yet.
    counted = [r for r in visible if r.is_submitted]
    answers = {(r.party_id, a.question_id): a for r in visible for a in r.answers.all()}
    counted_ids = {r.party_id for r in counted}
    questions = list(questions if questions is not None else evaluation.questionnaire.questions.all())
    audiences = {r.audience for r in responses}
    impacts = []
    for impact in Impact:
        impact_questions = [q for q in questions if q.impact == impact and any(q.asked_to(a) for a in audiences)]
        if not impact_questions and impact == Impact.RELATIONSHIP:
            continue  # version 1 has no question on the relationship
        view = ImpactView(impact=impact.value, label=impact.label, concerned=len(columns))
        party_scales: dict[int, list[int]] = {r.party_id: [] for r in counted}
        answered_ids: set[int] = set()
        for question in impact_questions:
            row = QuestionRow(
                code=question.code,
                text=question.text,
                kind=question.kind,
                unit=question.unit,
                audience=question.get_audience_display(),
                scale_type=question.get_scale_type_display() if question.kind == QuestionKind.SCALE else "",
                scored=question.is_scored,
            )
            notes, numbers = [], []
            for column, respondent in pairs:
                cell = Cell(
                    party_id=column.party_id,
                    hidden=column.state in ("hidden", "pending", "no_account"),
                    asked=respondent is not None and question.asked_to(respondent.audience),
                )
                answer = answers.get((column.party_id, question.id))
                if answer is not None and not cell.hidden:
                    cell.value = answer.value
                    counted_here = column.party_id in counted_ids
                    if answer.not_known:
                        cell.not_known, cell.label = True, NOT_KNOWN_LABEL
                        if counted_here and question.kind != QuestionKind.TEXT:
                            answered_ids.add(column.party_id)
                            view.not_known += 1
                    elif answer.scale_value is not None:
                        cell.label = question.scale_labels[answer.scale_value - 1]
                        if counted_here:
                            answered_ids.add(column.party_id)
                            notes.append(answer.scale_value)
                            if question.is_scored:
                                party_scales[column.party_id].append(answer.scale_value)
                    elif answer.number_value is not None and counted_here:
                        numbers.append(answer.number_value)
                row.cells.append(cell)
            if question.kind == QuestionKind.SCALE and len(notes) >= 2:
                row.spread = max(notes) - min(notes)
                row.diverges = row.spread >= DIVERGENCE_POINTS
            elif question.kind == QuestionKind.NUMBER:
                row.gap = _number_gap(numbers)
                row.diverges = bool(row.gap)
            view.rows.append(row)
        view.answered = len(answered_ids)
        view.party_means = {pid: mean(notes) for pid, notes in party_scales.items()}
        view.column_means = [view.party_means.get(c.party_id) for c in columns]
        means = [m for m in view.party_means.values() if m is not None]
        view.mean = mean(means)
        view.score = score_of(view.mean)
        if len(means) >= 2:
            view.spread = max(means) - min(means)
            view.diverges = view.spread >= DIVERGENCE_POINTS
        impacts.append(view)
    return CrossView(evaluation=evaluation, columns=columns, impacts=impacts, responses=visible)


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
