"""The fields each kind of import fills, their French labels, and the headers they are guessed from."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from maillage.core.text import normalize
from maillage.exchange.models import Entity


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    synonyms: tuple[str, ...] = ()
    required: bool = False


ORG_REF = ("organisation", "organization", "structure", "nom organisation", "raison sociale")

FIELDS: dict[str, tuple[Field, ...]] = {
    Entity.ORGANIZATION: (
        Field("name", "Nom", ("nom", "name", "raison sociale", "denomination", "organisation", "structure"), True),
        Field("kind", "Type", ("type", "kind", "categorie", "nature", "forme juridique")),
        Field("siren", "SIREN", ("siren",)),
        Field("siret", "SIRET", ("siret",)),
        Field("rna", "Numéro RNA", ("rna", "numero rna", "n rna", "waldec")),
        Field("commune", "Commune (code INSEE ou nom)", ("commune", "code insee", "insee", "ville", "city", "town")),
        Field("naf", "Code NAF", ("naf", "code naf", "ape", "code ape")),
        Field("website", "Site web", ("site", "site web", "website", "url", "web")),
        Field("description", "Présentation", ("description", "presentation", "objet")),
    ),
    Entity.CONTACT: (
        Field("organization", "Organisation (nom, SIREN, SIRET ou RNA)", ORG_REF, True),
        Field("name", "Nom du contact", ("nom", "name", "contact", "nom du contact", "personne", "nom complet"), True),
        Field("role", "Fonction", ("fonction", "role", "poste", "titre", "job title")),
        Field("email", "E-mail", ("email", "e mail", "courriel", "mail", "adresse e mail")),
        Field("phone", "Téléphone", ("telephone", "tel", "phone", "portable", "mobile")),
    ),
    Entity.ALLIANCE: (
        Field("name", "Nom de l'alliance", ("nom", "name", "alliance", "projet", "nom de l alliance"), True),
        Field("forms", "Formes", ("formes", "forme", "forms", "form", "type de partenariat"), True),
        Field("partners", "Partenaires (séparés par ;)", ("partenaires", "partners", "parties", "partenaire"), True),
        Field("purpose", "Objet", ("objet", "purpose", "description", "but")),
        Field("territory_level", "Échelle", ("echelle", "territory level", "niveau")),
        Field("territory_code", "Territoire (code)", ("territoire", "code territoire", "territory", "territory code")),
        Field("starts_on", "Début", ("debut", "date de debut", "start", "starts on", "start date")),
        Field("ends_on", "Fin", ("fin", "date de fin", "end", "ends on", "end date")),
    ),
    Entity.CONTRIBUTION: (
        Field("alliance", "Alliance", ("alliance", "projet", "partenariat"), True),
        Field("giver", "Donateur (organisation)", ("donateur", "giver", "de", "from", "mecene", "financeur"), True),
        Field("receiver", "Bénéficiaire (organisation)", ("beneficiaire", "receiver", "a", "to"), True),
        Field("kind", "Nature", ("nature", "kind", "type", "type de don"), True),
        Field("description", "Description", ("description", "libelle", "objet", "label"), True),
        Field("value", "Montant (€)", ("montant", "valeur", "amount", "value", "somme", "montant eur"), False),
        Field("status", "Statut", ("statut", "status", "etat")),
        Field("promised_on", "Promise le", ("promise le", "date de promesse", "promised on", "date promesse")),
        Field("received_on", "Reçue le", ("recue le", "date de reception", "received on", "date", "date du don")),
        Field("valuation_method", "Méthode de valorisation", ("methode", "valorisation", "valuation method")),
        Field("hours", "Heures (bénévolat)", ("heures", "hours", "nombre d heures")),
        Field("hourly_rate", "Taux horaire (€)", ("taux horaire", "hourly rate", "taux")),
        Field("evidence", "Justificatifs", ("justificatifs", "justificatif", "evidence", "piece")),
    ),
    Entity.INTERACTION: (
        Field("alliance", "Alliance", ("alliance", "projet", "partenariat"), True),
        Field("kind", "Type d'échange", ("type", "kind", "nature"), True),
        Field("occurred_on", "Date", ("date", "le", "occurred on", "jour"), True),
        Field("duration_minutes", "Durée (minutes)", ("duree", "duree minutes", "duration", "minutes"), True),
        Field("subject", "Objet", ("objet", "subject", "sujet", "titre")),
        Field("notes", "Compte rendu", ("compte rendu", "notes", "cr", "commentaire", "remarques")),
    ),
}


def _key(header: str) -> str:
    text = normalize(header or "")
    text = re.sub(r"\(.*?\)", " ", text)
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def guess_mapping(entity: str, headers: list[str]) -> dict[str, str]:
    """Column index (as str) → field name, from French or English headers; each field used once."""
    fields = FIELDS[entity]
    mapping: dict[str, str] = {}
    used: set[str] = set()
    keys = [_key(h) for h in headers]
    # Exact matches on name, label or synonym first, then headers that start with a synonym.
    for exact in (True, False):
        for index, key in enumerate(keys):
            if str(index) in mapping or not key:
                continue
            for f in fields:
                if f.name in used:
                    continue
                names = {_key(f.name), _key(f.label), *(_key(s) for s in f.synonyms)}
                if (exact and key in names) or (not exact and any(len(n) > 3 and key.startswith(n) for n in names)):
                    mapping[str(index)] = f.name
                    used.add(f.name)
                    break
    return mapping


def missing_required(entity: str, mapping: dict[str, str]) -> list[Field]:
    chosen = set(mapping.values())
    return [f for f in FIELDS[entity] if f.required and f.name not in chosen]


def label_of(entity: str, name: str) -> str:
    return next((f.label for f in FIELDS[entity] if f.name == name), name)


# ---- cell parsing: each returns a value or raises ValueError with a French message ----

DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%Y/%m/%d")


@lru_cache(maxsize=8192)
def parse_date(value: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    candidate = value.split(" ")[0].split("T")[0]
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(candidate, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"« {value} » n'est pas une date (format attendu : JJ/MM/AAAA).")


def parse_date_in_range(value: str, low: date = date(1990, 1, 1), high: date = date(2100, 12, 31)) -> date | None:
    day = parse_date(value)
    if day is not None and not low <= day <= high:
        raise ValueError(f"La date {day:%d/%m/%Y} est hors de la plage admise ({low:%d/%m/%Y} – {high:%d/%m/%Y}).")
    return day


NUMBER_JUNK = re.compile(r"[\s\u00a0\u202f€]|EUR", re.IGNORECASE)


@lru_cache(maxsize=8192)
def parse_decimal(value: str) -> Decimal | None:
    raw = (value or "").strip()
    if not raw:
        return None
    text = NUMBER_JUNK.sub("", raw)
    if "," in text and "." in text:  # 1.234,56 (French) or 1,234.56 (English)
        text = text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".") else text.replace(",", "")
    else:
        text = text.replace(",", ".")
    try:
        result = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"« {raw} » n'est pas un nombre.") from None
    if not result.is_finite():
        raise ValueError(f"« {raw} » n'est pas un nombre.")
    return result


def parse_int(value: str) -> int | None:
    number = parse_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value() or abs(number) > 10**9:
        raise ValueError(f"« {value} » n'est pas un nombre entier.")
    return int(number)


@lru_cache(maxsize=4096)
def _norm(value: str) -> str:
    return normalize(value)


@lru_cache(maxsize=64)
def _choice_index(choices) -> tuple[dict[str, str], list[tuple[str, str]]]:
    index: dict[str, str] = {}
    for code, label in choices.choices:
        for variant in (code, label, code.replace("_", " ")):
            index.setdefault(normalize(variant), code)
    return index, [(code, normalize(label)) for code, label in choices.choices]


def choice(value: str, choices, what: str) -> str:
    """A TextChoices code from its code or French label, accents and case ignored."""
    key = _norm(value or "")
    index, labels = _choice_index(choices)
    if key in index:
        return index[key]
    starts = [code for code, label in labels if len(key) >= 4 and label.startswith(key)]
    if len(starts) == 1:  # "fondation" for "Fondation ou fonds de dotation"
        return starts[0]
    options = ", ".join(label.lower() for _, label in choices.choices)
    raise ValueError(f"{what} inconnu(e) « {value} » : choisissez parmi {options}.")


# Individuals' gifts (receipts area): their fields live with their importer.
from maillage.exchange.individual_gift_fields import FIELDS as _DONATION_FIELDS  # noqa: E402

FIELDS[Entity.DONATION] = _DONATION_FIELDS
