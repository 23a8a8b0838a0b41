"""Who decides in a shared alliance (decision 0016): the lead party's workspace; the others propose.

- The workspaces of the active parties whose role is « pilote » decide the stage (:func:`move_alliance`) and the
  description (:func:`update_alliance`). When no lead party is bound to a workspace (the lead has no account or
  left the shared space), nobody would be there to answer: every active party decides, as before the rule.
- Every other party proposes (:func:`maillage.alliances.actions.propose_change`); the lead accepts (the change is
  made in its name, the proposer named in the stage log) or refuses with an answer. Proposals and answers are on the
  timeline and in the audit journal.
- What each party gives (contributions), the exchanges it joins (interactions), its notes and agreements stay
  open to every active party: they are its own record of the alliance, not decisions about it.

The rule only; the proposals' actions are in :mod:`maillage.alliances.actions`, which re-exports this module's
names (one place to find every action of the area).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from maillage.alliances.models import Alliance, PartyRole


class NotLead(PermissionDenied):
    """The workspace acts for a party of the alliance, but not for the party that leads it."""


def lead_parties(alliance: Alliance) -> list:
    return [p for p in alliance.parties.all() if p.role == PartyRole.LEAD and p.left_at is None and p.workspace_id]


def is_lead(alliance: Alliance, workspace) -> bool:
    """Whether ``workspace`` decides the stage and the description of ``alliance``."""
    leads = lead_parties(alliance)
    if not leads:
        return any(p.workspace_id == workspace.pk and p.left_at is None for p in alliance.parties.all())
    return any(p.workspace_id == workspace.pk for p in leads)


def require_lead(alliance: Alliance, workspace, what: str) -> None:
    if not is_lead(alliance, workspace):
        names = ", ".join(str(p.organization) for p in lead_parties(alliance))
        raise NotLead(
            f"Seule l'organisation pilote de l'alliance ({names}) décide {what}. "
            "Proposez-lui le changement depuis la page de l'alliance : elle l'acceptera ou le refusera."
        )
