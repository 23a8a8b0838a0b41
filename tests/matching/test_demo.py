"""The README's demo data: the demo company sees the demo association's needs suggested, with reasons."""

from __future__ import annotations

import pytest

from maillage.demo.seed import seed_demo
from maillage.matching.models import CallForProjects, Need, Offer
from maillage.matching.suggestions import suggestions_for
from maillage.workspaces.models import Workspace

pytestmark = pytest.mark.django_db


def test_demo_matching_step_is_idempotent_and_suggests(settings):
    seed_demo()
    counts = (Need.objects.count(), Offer.objects.count(), CallForProjects.objects.count())
    assert counts == (3, 4, 1)
    seed_demo()
    assert (Need.objects.count(), Offer.objects.count(), CallForProjects.objects.count()) == counts
    printer = Workspace.objects.get(organization__name="Imprimerie Rhodanienne")
    result = suggestions_for(printer.organization, workspaces=[printer])
    titles = [s.item.title for s in result.items]
    assert "Prêt d'un local pour stocker les outils" in titles
    association = Workspace.objects.get(organization__name="Les Jardins Partagés du Rhône")
    result = suggestions_for(association.organization, workspaces=[association])
    top = result.items[0]
    assert top.item.title in {"Mécénat de compétences en comptabilité", "Soutien aux projets éducatifs"}
    assert any(r.startswith("Même") for r in top.match.reason_texts)
