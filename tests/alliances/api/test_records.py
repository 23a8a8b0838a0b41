"""Interactions, agreements (with the signed PDF) and private notes through the API."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from maillage.alliances.actions import log_interaction
from maillage.alliances.models import Agreement, Interaction
from maillage.organizations.actions import add_contact
from tests.alliances.api.conftest import detail, party, post

pytestmark = pytest.mark.django_db

URL = "/api/v1/alliances"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_log_and_list_interactions(member_api, b_api, shared, workspace_a, workspace_b, org_a, org_b):
    mine = add_contact(workspace=workspace_a, organization=org_b, name="Claire Martin", role="Présidente")
    payload = {
        "kind": "meeting",
        "occurred_on": "2026-03-02",
        "duration_minutes": 90,
        "subject": "Lancement",
        "notes": "On démarre en avril.",
        "attendance": [
            {"party_id": party(shared, org_a).pk, "people": 2},
            {"party_id": party(shared, org_b).pk, "people": 1},
        ],
        "contact_ids": [mine.pk],
    }
    response = post(member_api, f"{URL}/{shared.pk}/interactions", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert [(a["organization_name"], a["minutes"]) for a in body["attendance"]] == [
        ("Les Jardins de l'Essai", 180),
        ("Amicale des Bords de Saône", 90),
    ]
    assert [c["name"] for c in body["contacts"]] == ["Claire Martin"]
    assert member_api.get(f"{URL}/{shared.pk}").json()["last_interaction_on"] == "2026-03-02"
    # The other party sees the interaction, never A's contacts.
    seen_by_b = b_api.get(f"{URL}/{shared.pk}/interactions").json()
    assert seen_by_b["total"] == 1 and seen_by_b["items"][0]["subject"] == "Lancement"
    assert seen_by_b["items"][0]["contacts"] == [] and "Claire Martin" not in str(seen_by_b)


def test_interaction_refusals(member_api, shared, workspace_b, org_a, org_b):
    theirs = add_contact(workspace=workspace_b, organization=org_a, name="Contact de B")
    url = f"{URL}/{shared.pk}/interactions"
    base = {"kind": "call", "occurred_on": "2026-03-02", "duration_minutes": 20}
    response = post(member_api, url, {**base, "contact_ids": [theirs.pk]})
    assert response.status_code == 422
    assert detail(response) == f"contact_ids : Contact(s) introuvable(s) parmi ceux de votre espace : n° {theirs.pk}."
    response = post(member_api, url, {**base, "duration_minutes": 30000})
    assert response.status_code == 422 and "Durée invraisemblable (plus de 14 jours)" in detail(response)
    response = post(member_api, url, {**base, "occurred_on": "1980-01-01"})
    assert response.status_code == 422 and "Date hors de la plage admise" in detail(response)
    response = post(member_api, url, {**base, "attendance": [{"party_id": 999999, "people": 1}]})
    assert response.status_code == 422 and "n'est pas partie à cette alliance" in detail(response)
    pid = party(shared, org_b).pk
    response = post(member_api, url, {**base, "attendance": [{"party_id": pid}, {"party_id": pid}]})
    assert response.status_code == 422 and "figure deux fois" in detail(response)
    assert not Interaction.objects.exists()


def test_interactions_are_paginated_with_fixed_queries(
    member_api, shared, people, workspace_a, org_b, django_assert_max_num_queries
):
    def log(n):
        for i in range(n):
            contact = add_contact(workspace=workspace_a, organization=org_b, name=f"Contact {i}")
            log_interaction(
                alliance=shared,
                workspace=workspace_a,
                user=people["owner"],
                kind="call",
                occurred_on=date(2026, 1, i % 28 + 1),
                duration_minutes=15,
                attendance={party(shared, org_b).pk: 2},
                contacts=[contact],
            )

    log(2)
    with django_assert_max_num_queries(9):
        assert len(member_api.get(f"{URL}/{shared.pk}/interactions").json()["items"]) == 2
    log(25)
    with django_assert_max_num_queries(9):
        page = member_api.get(f"{URL}/{shared.pk}/interactions", {"page_size": 100}).json()
    assert len(page["items"]) == 27 and all(len(i["contacts"]) == 1 for i in page["items"])
    page2 = member_api.get(f"{URL}/{shared.pk}/interactions", {"page": 2}).json()
    assert len(page2["items"]) == 7 and page2["has_next"] is False


def test_agreement_json(member_api, b_api, shared):
    payload = {
        "kind": "mecenat",
        "title": "Convention 2026",
        "signed_on": "2026-01-15",
        "duration_months": 12,
        "amount": "12000.5",
        "renewal_on": "2027-01-15",
    }
    response = post(member_api, f"{URL}/{shared.pk}/agreements", payload)
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "12000.50" and response.json()["has_file"] is False
    listed = b_api.get(f"{URL}/{shared.pk}/agreements").json()
    assert [(a["title"], a["kind_label"], a["created_by_organization"]) for a in listed] == [
        ("Convention 2026", "Convention de mécénat", "Les Jardins de l'Essai")
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"renewal_on": "2025-01-01"}, "renewal_on : La date de renouvellement précède la signature."),
        ({"amount": -5}, "amount : Le montant doit être positif et vraisemblable."),
        ({"amount": "99999999999"}, "amount : Le montant doit être positif et vraisemblable."),
        ({"duration_months": 0}, "duration_months : La durée doit être comprise entre 1 et 240 mois."),
    ],
)
def test_agreement_refusals(member_api, alliance, change, message):
    payload = {"kind": "cpo", "title": "CPO", "signed_on": "2026-01-15", **change}
    response = post(member_api, f"{URL}/{alliance.pk}/agreements", payload)
    assert response.status_code == 422 and message in detail(response)
    assert not Agreement.objects.exists()


def upload(client, alliance, content, name="convention.pdf", metadata=None):
    metadata = metadata or '{"kind": "partenariat", "title": "Convention signée", "signed_on": "2026-02-01"}'
    return client.post(
        f"{URL}/{alliance.pk}/agreements/signed",
        {"metadata": metadata, "file": SimpleUploadedFile(name, content, content_type="application/pdf")},
    )


def test_agreement_with_its_signed_pdf(member_api, alliance):
    response = upload(member_api, alliance, PDF)
    assert response.status_code == 201, response.content
    assert response.json()["has_file"] is True and response.json()["title"] == "Convention signée"
    agreement = Agreement.objects.get()
    with agreement.file.open("rb") as f:
        assert f.read() == PDF


def test_a_file_that_is_not_a_pdf_or_too_large_is_refused(member_api, alliance):
    response = upload(member_api, alliance, b"PK\x03\x04 un fichier zip", name="convention.pdf")
    assert response.status_code == 422
    assert detail(response) == (
        "file : Le fichier n'est pas un PDF (son contenu ne commence pas par %PDF) : exportez le document signé en PDF."
    )
    response = upload(member_api, alliance, PDF + b"0" * (10 * 1024 * 1024))
    assert response.status_code == 422 and "file : Le fichier pèse 10 Mo ; 10 Mo au plus." in detail(response)
    assert not Agreement.objects.exists()


def test_signed_agreement_needs_its_parts(member_api, viewer_api, alliance):
    response = member_api.post(f"{URL}/{alliance.pk}/agreements/signed", {})
    assert response.status_code == 422
    assert "file : Joignez le PDF signé" in detail(response) and "metadata : Joignez les données" in detail(response)
    response = upload(member_api, alliance, PDF, metadata='{"kind": "troc", "title": "X"}')
    assert response.status_code == 422
    assert "metadata : kind : valeur non autorisée" in detail(
        response
    ) and "signed_on : champ obligatoire absent" in detail(response)
    response = upload(member_api, alliance, PDF, metadata="{pas du json")
    assert response.status_code == 422 and "n'est pas un objet JSON valide" in detail(response)
    assert upload(viewer_api, alliance, PDF).status_code == 403
    assert not Agreement.objects.exists()


def test_notes_stay_private_to_their_workspace(member_api, b_api, viewer_api, shared):
    response = post(member_api, f"{URL}/{shared.pk}/notes", {"text": "Le trésorier hésite encore."})
    assert response.status_code == 201 and response.json()["author"] == "Member"
    assert post(b_api, f"{URL}/{shared.pk}/notes", {"text": "Note de B"}).status_code == 201
    assert [n["text"] for n in viewer_api.get(f"{URL}/{shared.pk}/notes").json()] == ["Le trésorier hésite encore."]
    assert [n["text"] for n in b_api.get(f"{URL}/{shared.pk}/notes").json()] == ["Note de B"]
    empty = post(member_api, f"{URL}/{shared.pk}/notes", {"text": "   "})
    assert empty.status_code == 422 and detail(empty) == "text : La note est vide ou dépasse 5 000 caractères."
    assert post(viewer_api, f"{URL}/{shared.pk}/notes", {"text": "Lecteur"}).status_code == 403
