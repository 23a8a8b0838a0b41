"""Pages of personal data (GDPR) and the legal pages (included by maillage.web.urls, namespace "web")."""

from django.urls import path

from maillage.web.views import privacy

urlpatterns: list = [
    path("espace/donnees-personnelles/", privacy.person, name="privacy_person"),
    path("espace/donnees-personnelles/export/", privacy.person_export, name="privacy_person_export"),
    path("espace/donnees-personnelles/effacer/", privacy.person_erase, name="privacy_person_erase"),
    path("compte/supprimer/", privacy.account_delete, name="account_delete"),
    path("mentions-legales/", privacy.legal_notice, name="legal_notice"),
    path("confidentialite/", privacy.privacy_policy, name="privacy_policy"),
    path("cookies/", privacy.cookies, name="cookies"),
]
