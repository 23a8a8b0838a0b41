"""Matching actions: one function per change of state, used by pages, API and CLI alike.

Each takes the acting ``workspace`` (and ``user``), validates with French messages keyed by field and writes in
one transaction. Items are written only by their own workspace.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from maillage.alliances import actions as alliance_actions
from maillage.alliances.lifecycle import Stage
from maillage.alliances.models import Alliance, PartyRole
from maillage.core.hostile import single_line_error
from maillage.core.mail import send_after_commit
from maillage.core.roles import Role
from maillage.core.text import normalize
from maillage.matching.models import (
    AlertSubscription,
    AllianceOrigin,
    GoodsType,
    ItemKind,
    SkillDomain,
    Status,
    TerritoryLevel,
)
from maillage.matching.scoring import KIND_FORM, METHOD_VERSION
from maillage.matching.suggestions import MODELS, cause_mask, explain, suggestions_for
from maillage.organizations.models import PUBLIC_KINDS, Cause, Kind, Organization
from maillage.territories.models import Commune, Departement, Epci, Region
from maillage.workspaces.models import Membership

ITEM_TYPES = ("need", "offer", "call")
# Who may publish what: needs by associations and the like, offers by companies and foundations, calls by
# public bodies. A foundation may also publish needs (it seeks partners too).
ALLOWED = {
    "need": lambda kind: kind not in PUBLIC_KINDS and kind != Kind.COMPANY,
    "offer": lambda kind: kind in {Kind.COMPANY, Kind.FOUNDATION},
    "call": lambda kind: kind in PUBLIC_KINDS or kind == Kind.FOUNDATION,
}
NOT_ALLOWED = {
    "need": "Seules les associations et structures de l'économie sociale publient des besoins.",
    "offer": "Seules les entreprises et les fondations publient des offres.",
    "call": "Seuls les organismes publics (et les fondations) publient des appels à projets.",
}

logger = logging.getLogger(__name__)


def _resolve_territory(level: str, code: str, organization: Organization) -> dict:
    """The territory's name and its chain in the hierarchy; an empty code means the organisation's own."""
    code = (code or "").strip().upper()
    if level not in TerritoryLevel.values:
        raise ValidationError(
            {"territory_level": ["Échelle inconnue : commune, epci, departement, region ou national."]}
        )
    if level == TerritoryLevel.NATIONAL:
        return {"territory_level": level, "territory_code": "", "territory_name": "France entière", "commune": None,
                "epci": None, "departement": None, "region": None}  # fmt: skip
    if not code:
        code = {
            "commune": organization.commune_id,
            "epci": organization.epci_id,
            "departement": organization.departement_id,
            "region": organization.region_id,
        }[level] or ""
    place: Commune | Epci | Departement | Region | None = None
    chain: dict = {"commune": None, "epci": None, "departement": None, "region": None}
    if level == TerritoryLevel.COMMUNE:
        place = Commune.objects.filter(code=code).select_related("departement", "region", "epci").first()
        if place:
            chain.update(commune=place, epci=place.epci, departement=place.departement, region=place.region)
    elif level == TerritoryLevel.EPCI:
        place = Epci.objects.filter(siren=code).first()
        member = place and place.communes.order_by("-population").select_related("departement", "region").first()
        if place:
            chain.update(epci=place, departement=member and member.departement, region=member and member.region)
    elif level == TerritoryLevel.DEPARTEMENT:
        place = Departement.objects.filter(code=code).select_related("region").first()
        if place:
            chain.update(departement=place, region=place.region)
    else:
        place = Region.objects.filter(code=code).first()
        chain.update(region=place)
    if place is None:
        label = TerritoryLevel(level).label.lower()
        hint = "" if code else " Votre organisation n'a pas de commune dans l'annuaire : indiquez le code."
        raise ValidationError(
            {"territory_code": [f"Aucun territoire de type « {label} » n'a le code « {code} ».{hint}"]}
        )
    return {"territory_level": level, "territory_code": code, "territory_name": place.name, **chain}


def _decimal(value, field: str, errors: dict) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(" ", "").replace(",", "."))
    except InvalidOperation:
        errors[field] = ["Montant illisible : écrivez un nombre d'euros, par exemple 5000 ou 5000,50."]
        return None
    if not amount.is_finite() or amount < 0 or amount > Decimal("1000000000"):
        errors[field] = ["Le montant doit être positif et inférieur à un milliard d'euros."]
        return None
    return amount.quantize(Decimal("0.01"))


def _clean(item_type: str, data: dict, organization: Organization) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = ["Donnez un intitulé court (par exemple « Aide à la comptabilité annuelle »)."]
    elif len(title) > 200:
        errors["title"] = [f"L'intitulé compte {len(title)} caractères ; 200 au plus."]
    elif single_line_error(title, "L'intitulé"):
        errors["title"] = single_line_error(title, "L'intitulé")
    cleaned["title"] = title
    description = (data.get("description") or "").strip()
    if len(description) > 2000:
        errors["description"] = [f"La description compte {len(description)} caractères ; 2 000 au plus."]
    cleaned["description"] = description
    causes = list(dict.fromkeys(data.get("causes") or []))
    known = set(Cause.objects.values_list("code", flat=True))
    unknown = [c for c in causes if c not in known]
    if unknown:
        errors["causes"] = [f"Cause(s) inconnue(s) : {', '.join(map(str, unknown))}."]
    elif not causes and item_type != "offer":  # an offer may leave its cause open: a soft signal (issue 25)
        errors["causes"] = ["Choisissez au moins une cause."]
    cleaned["causes"] = [c for c in causes if c in known]
    cleaned["cause_mask"] = cause_mask(cleaned["causes"])
    try:
        cleaned.update(
            _resolve_territory(data.get("territory_level") or "commune", data.get("territory_code") or "", organization)
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
    for field, value in (("starts_on", starts_on), ("ends_on", ends_on)):
        if value is not None and not isinstance(value, date):
            errors[field] = ["Date illisible : écrivez-la AAAA-MM-JJ."]
        elif value and not date(2000, 1, 1) <= value <= date(2100, 12, 31):
            errors[field] = ["Date hors de la plage admise (2000–2100)."]
    if isinstance(starts_on, date) and isinstance(ends_on, date) and ends_on < starts_on:
        errors["ends_on"] = ["La date de fin précède la date de début : corrigez l'une des deux."]
    cleaned["starts_on"], cleaned["ends_on"] = starts_on or None, ends_on or None
    if item_type in {"need", "offer"}:
        kind = data.get("kind") or ""
        if kind not in ItemKind.values:
            errors["kind"] = ["Type inconnu : compétences, biens ou locaux, financement ou partenaire."]
        cleaned["kind"] = kind
    if item_type == "need":
        domain = data.get("skill_domain") or ""
        if domain and domain not in SkillDomain.values:
            errors["skill_domain"] = [f"Domaine de compétences inconnu : « {domain} »."]
        elif cleaned.get("kind") == ItemKind.SKILLS and not domain:
            errors["skill_domain"] = ["Pour un besoin de compétences, choisissez le domaine."]
        cleaned["skill_domain"] = domain if cleaned.get("kind") == ItemKind.SKILLS else ""
        hours = data.get("hours")
        if hours is not None and hours != "" and not (isinstance(hours, int) and 0 < hours <= 10000):
            errors["hours"] = ["Le nombre d'heures doit être un entier entre 1 et 10 000."]
        cleaned["hours"] = hours or None
        cleaned["amount"] = _decimal(data.get("amount"), "amount", errors)
        goods = data.get("goods_type") or ""
        if goods and goods not in GoodsType.values:
            errors["goods_type"] = [f"Type de bien inconnu : « {goods} »."]
        cleaned["goods_type"] = goods if cleaned.get("kind") == ItemKind.GOODS and goods in GoodsType.values else ""
    elif item_type == "offer":
        domains = list(dict.fromkeys(data.get("skill_domains") or []))
        bad = [d for d in domains if d not in SkillDomain.values]
        if bad:
            errors["skill_domains"] = [f"Domaine(s) de compétences inconnu(s) : {', '.join(map(str, bad))}."]
        elif cleaned.get("kind") == ItemKind.SKILLS and not domains:
            errors["skill_domains"] = ["Pour une offre de compétences, choisissez au moins un domaine."]
        cleaned["skill_domains"] = [d for d in SkillDomain.values if d in domains]
        hours = data.get("hours_per_year")
        if hours is not None and hours != "" and not (isinstance(hours, int) and 0 < hours <= 100000):
            errors["hours_per_year"] = ["Le nombre d'heures par an doit être un entier entre 1 et 100 000."]
        cleaned["hours_per_year"] = hours or None
        goods = list(dict.fromkeys(data.get("goods_types") or []))
        bad = [g for g in goods if g not in GoodsType.values]
        if bad:
            errors["goods_types"] = [f"Type(s) de bien inconnu(s) : {', '.join(map(str, bad))}."]
        keep_goods = cleaned.get("kind") == ItemKind.GOODS
        cleaned["goods_types"] = [g for g in GoodsType.values if g in goods] if keep_goods else []
        cleaned["budget"] = _decimal(data.get("budget"), "budget", errors)
    else:
        cleaned["budget"] = _decimal(data.get("budget"), "budget", errors)
        deadline = data.get("deadline")
        if deadline is not None and not isinstance(deadline, date):
            errors["deadline"] = ["Date illisible : écrivez-la AAAA-MM-JJ."]
        cleaned["deadline"] = deadline or None
        url = (data.get("url") or "").strip()
        if url and not url.startswith(("http://", "https://")):
            errors["url"] = ["L'adresse de la page doit commencer par http:// ou https://."]
        cleaned["url"] = url[:200]
    if errors:
        raise ValidationError(errors)
    domains = cleaned.get("skill_domains") or ([cleaned["skill_domain"]] if cleaned.get("skill_domain") else [])
    cleaned["search_text"] = " ".join([normalize(f"{title} {description}")] + [f"domaine{d}" for d in domains])
    return cleaned


@transaction.atomic
def create_item(*, workspace, user, item_type: str, data: dict, publish: bool = False):
    """Create a need, an offer or a call for projects of the workspace (a draft unless ``publish``)."""
    if item_type not in ITEM_TYPES:
        raise Http404("Type introuvable.")
    organization = workspace.organization
    if not ALLOWED[item_type](organization.kind):
        raise ValidationError({"kind": [NOT_ALLOWED[item_type]]})
    cleaned = _clean(item_type, data, organization)
    item = MODELS[item_type](workspace=workspace, organization=organization, created_by=user, **cleaned)
    if publish:
        item.status = Status.PUBLISHED
        item.published_at = timezone.now()
    item.save()
    return item


@transaction.atomic
def update_item(*, workspace, user, item, data: dict):
    if item.workspace_id != workspace.pk:
        raise Http404("Objet introuvable.")
    item_type = next(t for t, m in MODELS.items() if isinstance(item, m))
    merged = {f: getattr(item, f) for f in data_fields(item_type)}
    merged.update(data)
    cleaned = _clean(item_type, merged, workspace.organization)
    for key, value in cleaned.items():
        setattr(item, key, value)
    item.save()
    return item


def data_fields(item_type: str) -> list[str]:
    base = ["title", "description", "causes", "territory_level", "territory_code", "starts_on", "ends_on"]
    return (
        base
        + {
            "need": ["kind", "skill_domain", "goods_type", "hours", "amount"],
            "offer": ["kind", "skill_domains", "goods_types", "hours_per_year", "budget"],
            "call": ["budget", "deadline", "url"],
        }[item_type]
    )


@transaction.atomic
def set_item_status(*, workspace, user, item, status: str):
    """Publish, take back to draft or close an item. Publishing (again) dates it: alerts send it as new."""
    if item.workspace_id != workspace.pk:
        raise Http404("Objet introuvable.")
    if status not in Status.values:
        raise ValidationError({"status": [f"Statut inconnu « {status} » : draft, published ou closed."]})
    if status == Status.PUBLISHED and item.status != Status.PUBLISHED:
        item.published_at = timezone.now()
    item.status = status
    item.save(update_fields=["status", "published_at", "updated_at"])
    return item


def _alliance_form(item_type: str | None, item, workspace_kind: str, target_kind: str) -> str:
    if item_type == "call":
        return "innovation_sociale"  # a call for projects funds a project built with the public body
    if item is not None:
        return KIND_FORM[item.kind]
    if {workspace_kind, target_kind} & {Kind.COMPANY, Kind.FOUNDATION}:
        return "mecenat_financier"
    return "cooperation_economique"


@transaction.atomic
def start_alliance(*, workspace, user, target: Organization, item_type: str | None = None, item=None, source="item"):
    """Start an alliance with ``target`` at stage « premier contact », keeping the suggestion as its origin.

    The score and reasons are recomputed here (never taken from the request), so the origin tells the truth.
    """
    if target.pk == workspace.organization_id:
        raise ValidationError({"target": ["Vous ne pouvez pas vous allier avec votre propre organisation."]})
    if item is not None and (item.status != Status.PUBLISHED or item.organization_id != target.pk):
        raise Http404("Objet introuvable.")
    existing = (
        AllianceOrigin.objects.visible_to(workspace)
        .filter(target=target, alliance__in=Alliance.objects.visible_to(workspace))
        .exclude(alliance__stage__in=[Stage.ABANDONED, Stage.CLOSED])
    )
    if existing.exists():
        raise ValidationError(
            {"target": [f"Une alliance avec {target} est déjà en cours depuis une suggestion : ouvrez-la plutôt."]}
        )
    match = explain(workspace.organization, [workspace], target, item_type, item)
    form = _alliance_form(item_type, item, workspace.organization.kind, target.kind)
    gives = item_type in {"offer", "call"}
    role = PartyRole.FUNDER if gives and form in {"mecenat_financier", "innovation_sociale"} else PartyRole.PARTNER
    name = f"{workspace.organization.name} – {target.name}"[:200]
    purpose = f"Issue d'une suggestion de Maillage (score {match.score}/100) : " + " ; ".join(match.reason_texts)
    if item is not None:
        purpose = f"{item.title}\n\n{purpose}"
    alliance = alliance_actions.create_alliance(
        workspace=workspace,
        user=user,
        name=name,
        forms=[form],
        partners=[(target, role, "")],
        purpose=purpose[:5000],
    )
    alliance = alliance_actions.move_alliance(
        alliance=alliance, workspace=workspace, user=user, to_stage=Stage.FIRST_CONTACT, reason="Depuis une suggestion"
    )
    AllianceOrigin.objects.create(
        alliance=alliance,
        workspace=workspace,
        organization_id=workspace.organization_id,
        target=target,
        need=item if item_type == "need" else None,
        offer=item if item_type == "offer" else None,
        call=item if item_type == "call" else None,
        source=source if source in {"item", "partner", "network"} else "item",
        score=match.score,
        reasons=[{"signal": r.signal, "points": r.points, "text": r.text} for r in match.reasons],
        method_version=METHOD_VERSION,
        created_by=user,
    )
    return alliance


def subscribe(*, workspace, user, active: bool, frequency: str = "weekly", min_score: int = 30) -> AlertSubscription:
    errors = {}
    if frequency not in AlertSubscription.Frequency.values:
        errors["frequency"] = ["Fréquence inconnue : daily (chaque jour) ou weekly (chaque semaine)."]
    if not isinstance(min_score, int) or not 0 <= min_score <= 100:
        errors["min_score"] = ["Le score minimal est un entier de 0 à 100."]
    if errors:
        raise ValidationError(errors)
    subscription, _ = AlertSubscription.objects.update_or_create(
        workspace=workspace, defaults={"active": bool(active), "frequency": frequency, "min_score": min_score}
    )
    return subscription


def digest_for(subscription: AlertSubscription, now=None) -> list:
    """Suggestions (items) published since the last digest that reach the subscription's minimal score."""
    now = now or timezone.now()
    since = subscription.last_sent_at or subscription.created_at
    workspace = subscription.workspace
    result = suggestions_for(workspace.organization, workspaces=[workspace], limit=50)
    return [
        s
        for s in result.items
        if s.item is not None
        and s.item.published_at
        and s.item.published_at > since
        and s.score >= subscription.min_score
    ]


def send_digests(*, now=None, force: bool = False, subscriptions=None) -> dict[str, int]:
    """Send the e-mail digest of every active subscription (or of those given) that is due; returns counts.

    Each digest leaves after its subscription's commit; one that fails is logged, left due, and the others go on.
    """
    now = now or timezone.now()
    sent = skipped = failed = 0
    due_after = {"daily": timedelta(hours=23), "weekly": timedelta(days=6, hours=23)}
    for subscription in (
        AlertSubscription.objects.filter(active=True) if subscriptions is None else subscriptions
    ).select_related("workspace__organization"):
        last = subscription.last_sent_at
        if not force and last and now - last < due_after[subscription.frequency]:
            skipped += 1
            continue
        try:
            with transaction.atomic():
                sent += _send_digest(subscription, now)
        except Exception:
            logger.exception("Alerte de rapprochement %s non envoyée ; les suivantes continuent.", subscription.pk)
            AlertSubscription.objects.filter(pk=subscription.pk, last_sent_at=now).update(last_sent_at=last)
            failed += 1
    return {"sent": sent, "skipped": skipped, "failed": failed}


def _send_digest(subscription: AlertSubscription, now) -> int:
    found = digest_for(subscription, now)
    recipients = sorted(
        set(
            Membership.objects.active()
            .filter(workspace=subscription.workspace, role__in=[Role.OWNER, Role.ADMIN, Role.MEMBER])
            .values_list("user__email", flat=True)
        )
    )
    sent = 0
    if found and recipients:
        lines = [
            f"- {s.item_label} « {s.item.title} » de {s.organization} (score {s.score}/100) : "
            + " ; ".join(s.match.reason_texts[:3])
            for s in found
        ]
        send_after_commit(
            subject=f"Maillage : {len(found)} nouvelle(s) suggestion(s) pour {subscription.workspace.name}",
            message="Bonjour,\n\nDe nouveaux besoins, offres ou appels à projets correspondent à votre "
            "organisation :\n\n" + "\n".join(lines) + "\n\nOuvrez « Rapprochement » dans Maillage pour les "
            "voir et démarrer une alliance.\nPour ne plus recevoir ces alertes : Rapprochement › Alertes.",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
        sent = 1
    subscription.last_sent_at = now
    subscription.save(update_fields=["last_sent_at"])
    return sent
