"""Demo step: alliances of every form and stage around the demo association, shared with the demo company.

Idempotent: an alliance is created only when its name is not yet used by the demo association's workspace.
Every row is written through the domain actions, as a person would through the pages.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from maillage.alliances import actions
from maillage.alliances.lifecycle import Stage
from maillage.alliances.models import Alliance, InteractionKind, PartyRole
from maillage.contributions.actions import CounterpartInput, SkillsInput, record_contribution
from maillage.contributions.models import Kind, Status
from maillage.organizations.models import Organization

ASSOCIATION = "Les Jardins Partagés du Rhône"
COMPANY = "Imprimerie Rhodanienne"

# The path through the lifecycle to reach each stage.
PATH = [Stage.FIRST_CONTACT, Stage.CO_CONSTRUCTION, Stage.FORMALISED, Stage.ACTIVE, Stage.EVALUATION]


def _walk(alliance, workspace, user, to_stage: str, reason: str = "") -> None:
    if to_stage == Stage.IDENTIFIED:
        return
    if to_stage == Stage.ABANDONED:
        actions.move_alliance(alliance=alliance, workspace=workspace, user=user, to_stage=Stage.FIRST_CONTACT)
        actions.move_alliance(
            alliance=alliance, workspace=workspace, user=user, to_stage=Stage.ABANDONED, reason=reason
        )
        return
    targets = PATH if to_stage == Stage.CLOSED else PATH[: PATH.index(Stage(to_stage)) + 1]
    for stage in targets:
        actions.move_alliance(alliance=alliance, workspace=workspace, user=user, to_stage=stage)
    if to_stage == Stage.CLOSED:
        actions.move_alliance(
            alliance=alliance, workspace=workspace, user=user, to_stage=Stage.CLOSED, reason="Projet mené à son terme."
        )


def seed(ctx: dict) -> None:
    workspace = ctx["workspaces"][ASSOCIATION]
    partner_ws = ctx["workspaces"][COMPANY]
    user = ctx["users"]["demo@maillage.test"]
    partner_user = ctx["users"]["partenaire@maillage.test"]
    orgs = ctx["organizations"]
    public = {
        o.territory_key: o for o in Organization.objects.filter(territory_key__in=["commune:69266", "epci:200046977"])
    }
    existing = set(Alliance.objects.filter(created_by_workspace=workspace).values_list("name", flat=True))
    today = timezone.localdate()

    def create(name, forms, partners, stage, *, purpose="", territory=("commune", "69266"), reason="", started=365):
        if name in existing:
            return None
        alliance = actions.create_alliance(
            workspace=workspace,
            user=user,
            name=name,
            forms=forms,
            partners=partners,
            purpose=purpose,
            territory_level=territory[0],
            territory_code=territory[1],
            starts_on=today - timedelta(days=started),
        )
        _walk(alliance, workspace, user, stage, reason)
        return alliance

    company = orgs[COMPANY]
    main = create(
        "Jardins pédagogiques des Gratte-Ciel",
        ["mecenat_financier", "mecenat_competences"],
        [
            (company, PartyRole.FUNDER, "Financer le matériel et prêter deux salariés"),
            (public["commune:69266"], PartyRole.PARTNER, "Mettre à disposition la parcelle"),
        ],
        Stage.ACTIVE,
        purpose="Créer et animer trois jardins pédagogiques avec les écoles du quartier des Gratte-Ciel.",
    )
    if main is not None:
        parties = {p.organization_id: p for p in main.parties.all()}
        invitation = actions.invite_party(alliance=main, workspace=workspace, user=user, party=parties[company.pk])
        actions.accept_party_invitation(invitation=invitation, workspace=partner_ws, user=partner_user)
        own, funder = parties[workspace.organization_id], parties[company.pk]
        for days_ago, kind, minutes, people in (
            (300, InteractionKind.MEETING, 120, 2),
            (200, InteractionKind.SITE_VISIT, 90, 3),
            (40, InteractionKind.CALL, 30, 1),
        ):
            actions.log_interaction(
                alliance=main,
                workspace=workspace,
                user=user,
                kind=kind,
                occurred_on=today - timedelta(days=days_ago),
                duration_minutes=minutes,
                subject="Point d'avancement",
                attendance={own.pk: people, funder.pk: 1},
            )
        actions.record_agreement(
            alliance=main,
            workspace=workspace,
            user=user,
            kind="mecenat",
            title="Convention de mécénat 2026",
            signed_on=today - timedelta(days=250),
            duration_months=12,
            amount=Decimal("5000"),
            renewal_on=today + timedelta(days=45),
        )
        record_contribution(
            alliance=main,
            workspace=workspace,
            user=user,
            giver=funder,
            receiver=own,
            kind=Kind.MONEY,
            description="Don pour l'achat d'outils et de semences",
            value=Decimal("5000"),
            status=Status.RECEIVED,
            received_on=today - timedelta(days=240),
            counterparts=[CounterpartInput("Logo de l'imprimerie sur les panneaux des jardins", Decimal("300"))],
        )
        month = (today - timedelta(days=150)).replace(day=1)
        record_contribution(
            alliance=main,
            workspace=partner_ws,
            user=partner_user,
            giver=funder,
            receiver=own,
            kind=Kind.SKILLS,
            description="Conception des panneaux pédagogiques par l'atelier graphique",
            status=Status.RECEIVED,
            received_on=month + timedelta(days=27),
            signed_timesheet=True,
            skills_lines=[
                SkillsInput("Léa Moreau", month, Decimal("21"), Decimal("4200"), employee_role="Graphiste"),
                SkillsInput(
                    "Hugo Bernard", month, Decimal("14"), Decimal("13500"), employee_role="Directeur artistique"
                ),
            ],
        )
        record_contribution(
            alliance=main,
            workspace=workspace,
            user=user,
            giver=parties[public["commune:69266"].pk],
            receiver=own,
            kind=Kind.IN_KIND,
            valuation_method="rental_value",
            description="Prêt de la parcelle du parc (valeur locative annuelle)",
            value=Decimal("2400"),
            status=Status.RECEIVED,
            received_on=today - timedelta(days=300),
        )
        record_contribution(
            alliance=main,
            workspace=workspace,
            user=user,
            giver=own,
            receiver=parties[public["commune:69266"].pk],
            kind=Kind.VOLUNTEERING,
            description="Animation des ateliers par les bénévoles",
            hours=Decimal("120"),
            hourly_rate=Decimal("11.88"),
            status=Status.RECEIVED,
            received_on=today - timedelta(days=60),
        )

    ressourcerie = create(
        "Filière de réemploi avec la Ressourcerie",
        ["cooperation_economique"],
        [(orgs["Ressourcerie Lyon Est"], PartyRole.OPERATOR, "Collecter et valoriser les déchets verts")],
        Stage.FORMALISED,
        purpose="Contrat de prestation pour la collecte des déchets verts des jardins.",
        territory=("epci", "200046977"),
    )
    if ressourcerie is not None:
        ressourcerie_parties = list(ressourcerie.parties.all())
        record_contribution(
            alliance=ressourcerie,
            workspace=workspace,
            user=user,
            giver=ressourcerie_parties[0],
            receiver=ressourcerie_parties[1],
            kind=Kind.SERVICE,
            description="Collecte mensuelle des déchets verts",
            value=Decimal("3600"),
            promised_on=today + timedelta(days=30),
        )
    create(
        "Épicerie solidaire de quartier",
        ["mecenat_nature", "pratiques_responsables"],
        [
            (orgs["Banque Solidaire Lyonnaise"], PartyRole.FUNDER, "Achats responsables et dons de matériel"),
            (orgs["Épicerie Solidaire de Vaulx"], PartyRole.PARTNER, ""),
        ],
        Stage.CO_CONSTRUCTION,
        purpose="Approvisionner l'épicerie solidaire avec les récoltes et des achats inclusifs.",
    )
    create(
        "Semaine de l'alimentation durable",
        ["innovation_sociale"],
        [
            (public["epci:200046977"], PartyRole.FUNDER, "Appel à projets alimentation"),
            (orgs["Lycée professionnel Frédéric Fays"], PartyRole.PARTNER, ""),
        ],
        Stage.EVALUATION,
        purpose="Co-construire une semaine d'ateliers avec la Métropole et le lycée.",
        territory=("epci", "200046977"),
    )
    create(
        "Terrain partagé avec le club sportif",
        ["cooperation_economique"],
        [(orgs["Club Sportif des Gratte-Ciel"], PartyRole.PARTNER, "")],
        Stage.IDENTIFIED,
    )
    create(
        "Festival des jardins 2025",
        ["mecenat_financier", "innovation_sociale"],
        [(orgs["Fondation Confluence pour l'Enfance"], PartyRole.FUNDER, "Subvention du festival")],
        Stage.CLOSED,
        started=700,
    )
    create(
        "Compost collectif du quartier",
        ["pratiques_responsables"],
        [(orgs["Transports Ferrand & Fils"], PartyRole.PARTNER, "")],
        Stage.ABANDONED,
        reason="Le partenaire a déménagé hors de la métropole.",
    )
