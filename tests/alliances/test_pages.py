"""The alliance pages, driven with the test client: creation, lifecycle, sharing, records, safety."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from maillage.alliances.models import Agreement, Alliance, AllianceNote, Interaction, Party, PartyInvitation
from maillage.contributions.models import Contribution
from maillage.core.roles import Role
from maillage.organizations.actions import add_contact
from maillage.workspaces.models import Membership
from tests.alliances.helpers import log, make_alliance, make_company, screen, share_with, walk_to
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(db):
    return make_company("Imprimerie Rhodanienne")


@pytest.fixture
def alliance(people, workspace_a, org_b, company):
    return make_alliance(workspace_a, people["owner"], [org_b, company])


def test_create_alliance_with_three_parties(people, workspace_a, org_b, company):
    client = client_for(people["member"])
    assert client.get(reverse("web:alliance_create")).status_code == 200
    response = client.post(
        reverse("web:alliance_create"),
        {
            "name": "Cantine solidaire",
            "purpose": "Des repas pour tous",
            "forms": ["mecenat_financier", "cooperation_economique"],
            "own_role": "lead",
            "own_commitment": "Pilotage",
            "territory_level": "commune",
            "territory_code": "69123",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "partner": [org_b.pk, company.pk],
            f"role_{org_b.pk}": "operator",
            f"commitment_{org_b.pk}": "Cuisiner",
            f"role_{company.pk}": "funder",
        },
    )
    assert response.status_code == 302, screen(response)
    alliance = Alliance.objects.get(name="Cantine solidaire")
    assert response["Location"] == reverse("web:alliance_detail", args=[alliance.pk])
    assert alliance.territory_name == "Lyon" and alliance.departement_id == "69"
    roles = {p.organization_id: p.role for p in alliance.parties.all()}
    assert roles == {workspace_a.organization_id: "lead", org_b.pk: "operator", company.pk: "funder"}
    text = screen(client.get(response["Location"]))
    assert "Cantine solidaire" in text and "Imprimerie Rhodanienne" in text and "Cuisiner" in text
    assert "Passer à « Premier contact »" in text


def test_create_refuses_without_partner_and_unknown_territory(people):
    response = client_for(people["member"]).post(
        reverse("web:alliance_create"),
        {
            "name": "Seule",
            "forms": ["mecenat_financier"],
            "own_role": "lead",
            "territory_level": "commune",
            "territory_code": "99999",
        },
    )
    assert response.status_code == 400
    text = screen(response)
    assert "Une alliance réunit au moins deux organisations : ajoutez un partenaire." in text
    assert "Aucun territoire de type « commune » n'a le code « 99999 »." in text
    assert not Alliance.objects.exists()


def test_partner_search_and_row(people, company):
    client = client_for(people["member"])
    options = screen(client.get(reverse("web:alliance_partner_options"), {"q": "imprimerie"}))
    assert "Imprimerie Rhodanienne" in options and f"add={company.pk}" in options
    row = screen(client.get(reverse("web:alliance_partner_options"), {"add": company.pk}))
    assert f'name="partner" value="{company.pk}"' in row and f'name="role_{company.pk}"' in row


def test_transitions_allowed_and_forbidden(people, alliance):
    client = client_for(people["member"])
    url = reverse("web:alliance_move", args=[alliance.pk])
    response = client.post(url, {"to_stage": "active"}, follow=True)
    assert "Passage interdit de « Identifiée » à « Active ». Étapes possibles : premier contact, abandonnée." in screen(
        response
    )
    response = client.post(url, {"to_stage": "first_contact", "reason": "Rencontre au forum"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    text = screen(response)
    assert 'id="stage"' in text and "Premier contact" in text and "Rencontre au forum" in text and "<html" not in text
    alliance.refresh_from_db()
    assert alliance.stage == "first_contact"
    # Abandon needs a reason; then it is logged.
    response = client.post(url, {"to_stage": "abandoned"}, HTTP_HX_REQUEST="true")
    assert "Indiquez pourquoi l'alliance est abandonnée." in screen(response)
    client.post(url, {"to_stage": "abandoned", "reason": "Plus de budget"})
    alliance.refresh_from_db()
    assert alliance.stage == "abandoned" and alliance.abandon_reason == "Plus de budget"
    assert client_for(people["viewer"]).post(url, {"to_stage": "first_contact"}).status_code == 403


def test_board_moves_cards_with_htmx(people, alliance):
    client = client_for(people["member"])
    board = screen(client.get(reverse("web:alliance_board")))
    assert "Jardins et entreprises" in board and "→ Premier contact" in board
    response = client.post(
        reverse("web:alliance_move", args=[alliance.pk]),
        {
            "to_stage": "first_contact",
            "panel": "board",
            "next": reverse("web:alliance_board") + "?form=mecenat_competences",
        },
        HTTP_HX_REQUEST="true",
    )
    text = screen(response)
    assert 'id="board"' in text and "→ Co-construction" in text and "passe à l'étape « Premier contact »" in text


TO_EVALUATION = ("first_contact", "co_construction", "formalised", "active", "evaluation")


def board_card_form(response, alliance) -> tuple[str, dict[str, str], list[str]]:
    """The one form of the alliance's card on the board: its action, its hidden fields, its buttons' moves."""
    text = response.content.decode()
    start = text.index(f'id="card-{alliance.pk}"')
    card = text[start : text.index("</li>", start)]
    assert card.count("<form") == 1, card
    action = re.search(r'<form method="post" action="([^"]+)" hx-post="\1"', card).group(1)
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', card))
    moves = re.findall(r'<button type="submit" name="to_stage" value="(\w+)"', card)
    return action, {k: html.unescape(v) for k, v in hidden.items()}, moves


def test_board_card_moves_through_one_form_with_or_without_htmx(people, workspace_a, alliance):
    """One form per card, one submit button per move: the clicked button sends ``to_stage`` (htmx sends it too)."""
    walk_to(alliance, workspace_a, people["owner"], *TO_EVALUATION)
    client = client_for(people["member"])
    board_url = reverse("web:alliance_board") + "?form=mecenat_competences"
    response = client.get(board_url)
    action, hidden, moves = board_card_form(response, alliance)
    assert action == reverse("web:alliance_move", args=[alliance.pk]) and moves == ["renewed", "closed"]
    assert hidden == {"csrfmiddlewaretoken": hidden["csrfmiddlewaretoken"], "panel": "board", "next": board_url}
    text = screen(response)
    for label in ("Renouvelée", "Terminée"):
        assert f'aria-label="Passer « Jardins et entreprises » à l\'étape {label}">→ {label}</button>' in text
    # With htmx: the board comes back, the card moved and offers its next move.
    response = client.post(action, {**hidden, "to_stage": "renewed"}, HTTP_HX_REQUEST="true")
    text = screen(response)
    assert "<html" not in text and "passe à l'étape « Renouvelée »" in text
    assert board_card_form(response, alliance)[2] == ["active"]
    # Without JavaScript: the same form posts, then back to the board with its filters.
    response = client.post(action, {**hidden, "to_stage": "active"})
    assert response.status_code == 302 and response["Location"] == board_url
    assert "passe à l'étape « Active »" in screen(client.get(board_url))
    alliance.refresh_from_db()
    assert alliance.stage == "active"
    # A viewer sees the card, not the moves.
    viewer = client_for(people["viewer"]).get(board_url).content.decode()
    assert f'id="card-{alliance.pk}"' in viewer and 'name="to_stage"' not in viewer


def test_invite_accept_across_workspaces_then_leave(
    people, workspace_a, workspace_b, alliance, org_b, django_capture_on_commit_callbacks
):
    owner_a, owner_b = people["owner"], people["other_workspace"]
    client_a, client_b = client_for(owner_a), client_for(owner_b)
    detail = reverse("web:alliance_detail", args=[alliance.pk])
    assert client_b.get(detail).status_code == 404
    party_b = alliance.parties.get(organization=org_b)
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail leaves after the commit
        response = client_a.post(reverse("web:alliance_invite", args=[alliance.pk]), {"party": party_b.pk})
    assert response.status_code == 302
    assert mail.outbox and owner_b.email in mail.outbox[0].to
    invitations = screen(client_b.get(reverse("web:alliance_invitations")))
    assert "Jardins et entreprises" in invitations
    invitation = PartyInvitation.objects.get(party=party_b)
    # A cannot answer an invitation meant for B.
    assert client_a.post(reverse("web:alliance_invitation_accept", args=[invitation.pk])).status_code == 404
    response = client_b.post(reverse("web:alliance_invitation_accept", args=[invitation.pk]))
    assert response.status_code == 302 and response["Location"] == detail
    assert "Partage l'alliance" in screen(client_b.get(detail))
    # B leaves: 404 on the alliance and its sub-pages; A keeps it.
    assert client_b.post(reverse("web:alliance_leave", args=[alliance.pk])).status_code == 302
    for name in ("alliance_detail", "alliance_timeline", "interaction_create", "contribution_create"):
        assert client_b.get(reverse(f"web:{name}", args=[alliance.pk])).status_code == 404, name
    assert client_a.get(detail).status_code == 200
    assert "A quitté l'alliance" in screen(client_a.get(detail))


def test_last_sharing_party_cannot_leave(people, alliance):
    response = client_for(people["owner"]).post(reverse("web:alliance_leave", args=[alliance.pk]), follow=True)
    assert "Vous êtes la dernière organisation à partager cette alliance" in screen(response)


def test_private_notes_stay_private(people, workspace_a, workspace_b, alliance):
    share_with(alliance, workspace_a, people["owner"], workspace_b, people["other_workspace"])
    client_for(people["member"]).post(reverse("web:alliance_note", args=[alliance.pk]), {"text": "Secret de A"})
    client_for(people["other_workspace"]).post(
        reverse("web:alliance_note", args=[alliance.pk]), {"text": "Secret de B"}
    )
    assert AllianceNote.objects.count() == 2
    page_a = screen(client_for(people["viewer"]).get(reverse("web:alliance_detail", args=[alliance.pk])))
    page_b = screen(client_for(people["other_workspace"]).get(reverse("web:alliance_detail", args=[alliance.pk])))
    assert "Secret de A" in page_a and "Secret de B" not in page_a
    assert "Secret de B" in page_b and "Secret de A" not in page_b


def test_interaction_time_sums_and_private_contacts(people, workspace_a, workspace_b, alliance, org_b):
    share_with(alliance, workspace_a, people["owner"], workspace_b, people["other_workspace"])
    own = alliance.parties.get(workspace=workspace_a)
    party_b = alliance.parties.get(organization=org_b)
    contact = add_contact(workspace=workspace_a, organization=org_b, name="Camille Durand", role="Trésorière")
    client = client_for(people["member"])
    response = client.post(
        reverse("web:interaction_create", args=[alliance.pk]),
        {
            "kind": "meeting",
            "occurred_on": "2026-02-03",
            "duration_minutes": "90",
            "subject": "Lancement",
            f"people_{own.pk}": "2",
            f"people_{party_b.pk}": "1",
            "contacts": [contact.pk],
        },
    )
    assert response.status_code == 302, screen(response)
    log(alliance, workspace_b, people["other_workspace"], 30, on=date(2026, 2, 10))
    interaction = Interaction.objects.get(subject="Lancement")
    assert list(interaction.contacts.all()) == [contact]
    detail = screen(client.get(reverse("web:alliance_detail", args=[alliance.pk])))
    # A: 90 min × 2 = 3 h; B: 90 × 1 + 30 × 1 = 120 min = 2 h (printed by |heures: « 3 h », no trailing zero).
    assert "3 h" in detail and "2 h" in detail
    timeline_a = screen(client.get(reverse("web:alliance_timeline", args=[alliance.pk])))
    timeline_b = screen(client_for(people["other_workspace"]).get(reverse("web:alliance_timeline", args=[alliance.pk])))
    assert "Camille Durand" in timeline_a and "Camille Durand" not in timeline_b
    assert "Lancement" in timeline_b


def test_interaction_refuses_absurd_duration(people, alliance):
    response = client_for(people["member"]).post(
        reverse("web:interaction_create", args=[alliance.pk]),
        {"kind": "call", "occurred_on": "2026-02-03", "duration_minutes": "999999"},
    )
    assert response.status_code == 400
    assert "Durée invraisemblable (plus de 14 jours) : découpez l'échange." in screen(response)


def test_skills_contribution_valued_with_cap(people, workspace_a, alliance, company):
    own = alliance.parties.get(workspace=workspace_a)
    giver = alliance.parties.get(organization=company)
    client = client_for(people["member"])
    form = screen(client.get(reverse("web:contribution_create", args=[alliance.pk])))
    assert "2026 : 12 015 € (3 × 4 005 €)" in form
    response = client.post(
        reverse("web:contribution_create", args=[alliance.pk]),
        {
            "giver": giver.pk,
            "receiver": own.pk,
            "kind": "skills",
            "description": "Refonte du site",
            "status": "promised",
            "line_0_name": "Alex Martin",
            "line_0_month": "2026-03",
            "line_0_hours": "75,835",
            "line_0_cost": "15000",
            "line_1_name": "Sam Petit",
            "line_1_month": "2026-03",
            "line_1_hours": "15,167",
            "line_1_cost": "4000",
            "cp_0_description": "Logo sur le site",
            "cp_0_value": "100",
        },
    )
    assert response.status_code == 302, screen(response)
    contribution = Contribution.objects.get(description="Refonte du site")
    # Alex: min(15 000, 3 × 4 005 = 12 015) × 75.835 / 151.67 = 6 007.50 (capped); Sam: 4 000 × 0.1 = 400.00.
    assert contribution.value == pytest.approx(6407.50)
    text = screen(client.get(response["Location"]))
    assert "6 007,50 €" in text and "(plafonné)" in text and "400,00 €" in text and "12 015,00 €" in text
    assert "Parrainage" not in text


def test_sponsoring_flag_and_mark_received(people, workspace_a, alliance, company):
    own = alliance.parties.get(workspace=workspace_a)
    giver = alliance.parties.get(organization=company)
    client = client_for(people["member"])
    response = client.post(
        reverse("web:contribution_create", args=[alliance.pk]),
        {
            "giver": giver.pk,
            "receiver": own.pk,
            "kind": "money",
            "description": "Don",
            "value": "1 000",
            "status": "promised",
            "cp_0_description": "Loge au stade",
            "cp_0_value": "300",
        },
    )
    assert response.status_code == 302, screen(response)
    detail = screen(client.get(response["Location"]))
    assert "Parrainage" in detail and "(30,0 % du don) dépassent la part tolérée de 25 %" in detail
    contribution = Contribution.objects.get(description="Don")
    client.post(reverse("web:contribution_receive", args=[contribution.pk]), {"received_on": "2026-01-20"})
    contribution.refresh_from_db()
    assert contribution.status == "received" and contribution.received_on == date(2026, 1, 20)


def test_contribution_between_non_parties_refused(people, workspace_a, workspace_b, alliance, org_b, company):
    other = make_alliance(workspace_b, people["other_workspace"], [company], name="Autre alliance de B")
    stranger = other.parties.get(organization=company)
    own = alliance.parties.get(workspace=workspace_a)
    client = client_for(people["member"])
    url = reverse("web:contribution_create", args=[alliance.pk])
    response = client.post(
        url,
        {
            "giver": stranger.pk,
            "receiver": own.pk,
            "kind": "money",
            "description": "x",
            "value": "10",
            "status": "promised",
        },
    )
    assert response.status_code == 400
    assert "Le donateur n'est pas partie à cette alliance." in screen(response)
    # A party that left is no longer a party either.
    party_b = alliance.parties.get(organization=org_b)
    Party.objects.filter(pk=party_b.pk).update(left_at="2026-01-01T00:00:00Z")
    response = client.post(
        url,
        {
            "giver": party_b.pk,
            "receiver": own.pk,
            "kind": "money",
            "description": "x",
            "value": "10",
            "status": "promised",
        },
    )
    assert "Le donateur n'est pas partie à cette alliance." in screen(response)
    response = client.post(
        url,
        {"giver": own.pk, "receiver": own.pk, "kind": "money", "description": "x", "value": "-5", "status": "promised"},
    )
    text = screen(response)
    assert "choisissez deux organisations différentes" in text and "Le montant doit être strictement positif." in text
    assert not Contribution.objects.exists()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_agreement_pdf_upload_checked(people, alliance, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(people["member"])
    url = reverse("web:agreement_create", args=[alliance.pk])
    base = {"kind": "mecenat", "title": "Convention 2026", "signed_on": "2026-01-10", "amount": "5000"}
    response = client.post(url, {**base, "file": SimpleUploadedFile("c.pdf", b"GIF89a not a pdf", "application/pdf")})
    assert response.status_code == 400
    assert "Le fichier n'est pas un PDF (son contenu ne commence pas par %PDF)" in screen(response)
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024), "application/pdf")
    response = client.post(url, {**base, "file": big})
    assert response.status_code == 400 and "10 Mo au plus" in screen(response)
    assert not Agreement.objects.exists()
    response = client.post(url, {**base, "file": SimpleUploadedFile("c.pdf", PDF, "application/pdf")})
    assert response.status_code == 302
    agreement = Agreement.objects.get()
    download = client.get(reverse("web:agreement_file", args=[alliance.pk, agreement.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF-")
    assert (
        client_for(people["other_workspace"])
        .get(reverse("web:agreement_file", args=[alliance.pk, agreement.pk]))
        .status_code
        == 404
    )


def test_viewer_reads_but_cannot_write(people, alliance):
    viewer = client_for(people["viewer"])
    assert viewer.get(reverse("web:alliance_detail", args=[alliance.pk])).status_code == 200
    assert viewer.get(reverse("web:contribution_create", args=[alliance.pk])).status_code == 403
    assert viewer.post(reverse("web:alliance_note", args=[alliance.pk]), {"text": "x"}).status_code == 403


def test_going_cold_flag_and_setting(people, workspace_a, alliance):
    client = client_for(people["owner"])
    log(alliance, workspace_a, people["owner"], 30, on=date(2025, 1, 1))
    board = screen(client.get(reverse("web:alliance_board")))
    assert "Refroidit" in board
    client.post(reverse("web:alliance_settings"), {"cold_after_days": "3650"})
    board = screen(client.get(reverse("web:alliance_board")))
    assert "Refroidit" not in board
    response = client.post(reverse("web:alliance_settings"), {"cold_after_days": "0"}, follow=True)
    assert "Indiquez au moins 1 jour." in screen(response)
    member = make_user("x@a.test")
    Membership.objects.create(workspace=workspace_a, user=member, role=Role.MEMBER)
    assert client_for(member).post(reverse("web:alliance_settings"), {"cold_after_days": "5"}).status_code == 403


def test_cold_after_setting_is_an_action_journaled_once(people, workspace_a):
    """The page calls ``alliances.actions.set_cold_after_days``: the change is journaled with before/after, an
    unchanged value is not, and the action refuses a member and a value out of bounds itself."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from maillage.alliances.actions import set_cold_after_days
    from maillage.audit.models import AuditEvent

    client = client_for(people["owner"])
    client.post(reverse("web:alliance_settings"), {"cold_after_days": "90"})
    client.post(reverse("web:alliance_settings"), {"cold_after_days": "90"})
    events = AuditEvent.objects.filter(action="alliance_settings.changed", workspace=workspace_a)
    assert [e.details for e in events] == [{"cold_after_days": {"before": 60, "after": 90}}]
    with pytest.raises(ValidationError):
        set_cold_after_days(workspace=workspace_a, user=people["owner"], days=0)
    with pytest.raises(PermissionDenied):
        set_cold_after_days(workspace=workspace_a, user=people["member"], days=10)


def test_edit_alliance(people, alliance):
    client = client_for(people["member"])
    url = reverse("web:alliance_edit", args=[alliance.pk])
    data = {"name": "Nouveau nom", "forms": ["innovation_sociale"], "starts_on": "2026-05-01", "ends_on": "2026-01-01"}
    response = client.post(url, data)
    assert response.status_code == 400
    assert "La date de fin précède la date de début : corrigez l'une des deux." in screen(response)
    response = client.post(
        url, {**data, "ends_on": "2026-12-31", "territory_level": "departement", "territory_code": "13"}
    )
    assert response.status_code == 302
    alliance.refresh_from_db()
    assert (alliance.name, alliance.forms, alliance.territory_name) == (
        "Nouveau nom",
        ["innovation_sociale"],
        "Bouches-du-Rhône",
    )


JUNK = ["", "abc", "-1", "1e999", "NaN", "99999999999999999999", "2026-13-45", "<script>", "0"]


def test_bad_input_never_gives_a_500(people, workspace_a, alliance, company):
    client = client_for(people["member"])
    own = alliance.parties.get(workspace=workspace_a)
    giver = alliance.parties.get(organization=company)
    contribution_url = reverse("web:contribution_create", args=[alliance.pk])
    for junk in JUNK:
        posts = [
            (
                reverse("web:alliance_create"),
                {
                    "name": junk,
                    "forms": [junk],
                    "partner": [junk],
                    "starts_on": junk,
                    "territory_level": junk,
                    "territory_code": junk,
                },
            ),
            (
                reverse("web:alliance_move", args=[alliance.pk]),
                {"to_stage": junk, "reason": junk, "next": "https://evil.test/"},
            ),
            (
                reverse("web:interaction_create", args=[alliance.pk]),
                {"kind": "call", "occurred_on": junk, "duration_minutes": junk, f"people_{own.pk}": junk},
            ),
            (
                reverse("web:agreement_create", args=[alliance.pk]),
                {"kind": "mecenat", "title": "t", "signed_on": junk, "amount": junk, "duration_months": junk},
            ),
            (
                contribution_url,
                {
                    "giver": giver.pk,
                    "receiver": own.pk,
                    "kind": "volunteering",
                    "description": "d",
                    "status": "received",
                    "received_on": junk,
                    "hours": junk,
                    "hourly_rate": junk,
                },
            ),
            (
                contribution_url,
                {
                    "giver": giver.pk,
                    "receiver": own.pk,
                    "kind": "skills",
                    "description": "d",
                    "status": "promised",
                    "line_0_name": "A",
                    "line_0_month": junk,
                    "line_0_hours": junk,
                    "line_0_cost": junk,
                    "cp_0_description": "x",
                    "cp_0_value": junk,
                },
            ),
            (
                contribution_url,
                {"giver": junk, "receiver": junk, "kind": junk, "description": "d", "value": junk, "status": junk},
            ),
            (reverse("web:alliance_settings"), {"cold_after_days": junk}),
        ]
        for url, data in posts:
            response = client.post(url, data)
            assert response.status_code in (200, 302, 400, 403), (url, junk, response.status_code)
            if response.status_code == 302:
                assert not response["Location"].startswith("https://evil.test")
        for url in ("web:alliance_list", "web:alliance_board"):
            assert (
                client.get(
                    reverse(url),
                    {"page": junk, "region": junk, "departement": junk, "cause": junk, "partner_kind": junk},
                ).status_code
                == 200
            )
    assert not Contribution.objects.exists()


def test_huge_ids_answer_404(people):
    client = client_for(people["member"])
    huge = 10**20
    for url in (
        f"/alliances/{huge}/",
        f"/alliances/{huge}/chronologie/",
        f"/contributions/{huge}/",
        f"/alliances/1/accords/{huge}/document/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/alliances/invitations/{huge}/accepter/").status_code == 403  # a member may not answer
    assert client_for(people["owner"]).post(f"/alliances/invitations/{huge}/accepter/").status_code == 404
    assert client.get(reverse("web:alliance_partner_options"), {"add": str(huge)}).status_code == 200
