"""Personal data of the evaluations: who submitted a party's answers, and names written in free answers."""

from __future__ import annotations

from maillage.core.personal_data import REDACT, Source

SOURCES = [
    Source(
        key="respondents",
        label="Répondants aux évaluations",
        model="evaluation.Response",
        workspace="party__workspace",
        match=("submitted_by__full_name", "submitted_by__email"),
        show=("evaluation", "submitted_by", "submitted_at"),
        # The answers are the party's (the organisation's view): they stay; the person who sent them is forgotten.
        anonymise={"submitted_by": None},
        category="répondants aux évaluations",
    ),
    Source(
        key="answers",
        label="Réponses libres des évaluations",
        model="evaluation.Answer",
        workspace="response__party__workspace",
        match=("text_value",),
        show=("question", "text_value"),
        erase=REDACT,
        text=("text_value",),
        category="personnes nommées dans des notes libres",
    ),
]
