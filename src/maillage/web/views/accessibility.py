"""The « Déclaration d'accessibilité » in the RGAA's own form: public, no data of any workspace."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render

# The axe-core the browser tests run (the one axe-playwright-python ships); tests/browser/test_accessibility.py
# fails when the installed one differs, so that the statement says what was really run.
AXE_VERSION = "4.12.1"
# The pages the browser walks check with axe-core at 1 280 px and 390 px (tests/browser/test_accessibility.py);
# the statement lists them as the sample of its verification.
CHECKED_PAGES = [
    "Accueil",
    "Connexion et création de compte",
    "Observatoire (France, carte des départements) et données ouvertes",
    "Annuaire et fiche d'une organisation",
    "Membres de l'espace",
    "Alliances : liste, tableau par étape, création, fiche d'une alliance, échange, contribution",
    "Reçus fiscaux : accueil, reçu émis",
    "Impact et diagnostic",
    "Import et export",
    "Déclaration d'accessibilité",
]


def statement(request):
    return render(
        request,
        "web/accessibility.html",
        {"contact": settings.ACCESSIBILITY_CONTACT_EMAIL, "checked_pages": CHECKED_PAGES, "axe_version": AXE_VERSION},
    )
