"""The alliance lifecycle: an explicit table of allowed moves. Nothing else may change a stage."""

from __future__ import annotations

from django.db import models


class Stage(models.TextChoices):
    IDENTIFIED = "identified", "Identifiée"
    FIRST_CONTACT = "first_contact", "Premier contact"
    CO_CONSTRUCTION = "co_construction", "Co-construction"
    FORMALISED = "formalised", "Formalisée"
    ACTIVE = "active", "Active"
    EVALUATION = "evaluation", "En évaluation"
    RENEWED = "renewed", "Renouvelée"
    CLOSED = "closed", "Terminée"
    ABANDONED = "abandoned", "Abandonnée"


# Forward moves. "abandoned" is allowed from every stage that is not terminal, and always needs a reason.
# A renewed alliance goes on (active again); closed and abandoned are terminal: the history stays.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Stage.IDENTIFIED: (Stage.FIRST_CONTACT,),
    Stage.FIRST_CONTACT: (Stage.CO_CONSTRUCTION,),
    Stage.CO_CONSTRUCTION: (Stage.FORMALISED,),
    Stage.FORMALISED: (Stage.ACTIVE,),
    Stage.ACTIVE: (Stage.EVALUATION,),
    Stage.EVALUATION: (Stage.RENEWED, Stage.CLOSED),
    Stage.RENEWED: (Stage.ACTIVE,),
    Stage.CLOSED: (),
    Stage.ABANDONED: (),
}
TERMINAL = frozenset({Stage.CLOSED, Stage.ABANDONED})
BOARD_STAGES = [s for s in Stage if s not in TERMINAL] + [Stage.CLOSED, Stage.ABANDONED]


def allowed_moves(stage: str) -> list[str]:
    moves = list(TRANSITIONS[Stage(stage)])
    if stage not in TERMINAL:
        moves.append(Stage.ABANDONED)
    return moves


def is_allowed(from_stage: str, to_stage: str) -> bool:
    return to_stage in allowed_moves(from_stage)
