"""Each kind of import: a row of cells → a planned action (or French errors), and the action that writes it.

``plan`` reads and resolves (no write); ``execute`` calls the domain action and returns what it created, as
``(model label, id, created)``. Contributions go through :mod:`maillage.exchange.batch_writes` in batches.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.db.models.functions import Lower

from maillage.alliances import actions as alliance_actions
from maillage.alliances.models import Alliance, Form, InteractionKind, PartyRole, TerritoryLevel
from maillage.alliances.queries import my_party
from maillage.contributions.cleaning import clean_contribution
from maillage.contributions.models import Kind as ContributionKind
from maillage.contributions.models import Status, ValuationMethod
from maillage.core.text import normalize
from maillage.exchange.fields import choice, parse_date, parse_date_in_range, parse_decimal, parse_int
from maillage.exchange.models import Entity, ImportedRow
from maillage.exchange.resolve import DIGITS, IDENTIFIERS, PROPOSE, Directory, organization_label
from maillage.organizations import actions as org_actions
from maillage.organizations import identifiers
from maillage.organizations.models import Contact, Kind, Organization
from maillage.territories.models import Naf


class RowError(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


@dataclass(slots=True)
class Planned:
    row: int
    base_key: str
    payload: dict
    key: str = ""
    preview: dict = field(default_factory=dict)
    proposal: dict | None = None  # an uncertain organisation match, to confirm


CELLS_KEPT = 20_000  # distinct cells whose parsed value ``Context.cell`` remembers (natures, statuses, dates…)


class Context:
    def __init__(self, workspace, user, decisions: dict | None = None):
        self.workspace = workspace
        self.user = user
        self.decisions = decisions or {}
        self.directory = Directory()
        self._alliances: dict[str, Alliance | RowError] = {}  # by the cell as written
        self._by_name: dict[str, Alliance | None] = {}  # by normalised name
        self._parties: dict[tuple, object] = {}
        self._active: dict[int, set[int]] = {}
        self._cells: dict[tuple[str, str], tuple] = {}
        self.previews_left = 10  # only the first accepted rows are shown before the import
        self.nafs: set[str] | None = None  # the NAF codes, read once when the file names some
        self.prepared: dict[str, Any] = {}  # what a kind's ``prepare`` read for the whole file, by name
        from django.utils import timezone

        self.today = timezone.localdate()

    def cell(self, field_name: str, raw: str, parse, errors: dict):
        """``parse(raw)``, computed once per distinct cell of a column; its ``ValueError`` goes to ``errors``."""
        try:
            value, message = self._cells[field_name, raw]
        except KeyError:
            try:
                value, message = parse(raw), None
            except ValueError as exc:
                value, message = None, str(exc)
            if len(self._cells) >= CELLS_KEPT:  # amounts and descriptions rarely repeat: memory stays bounded
                self._cells.clear()
            self._cells[field_name, raw] = value, message
        if message is not None:
            errors.setdefault(field_name, []).append(message)
        return value

    def alliance(self, name: str) -> Alliance:
        try:
            found = self._alliances[name]
        except KeyError:
            try:
                found = self._find_alliance(name)
            except RowError as exc:
                found = exc
            self._alliances[name] = found
        if isinstance(found, RowError):
            raise RowError(found.errors)  # a new one each time: a raised exception keeps its traceback
        return found

    def _find_alliance(self, name: str) -> Alliance:
        key = normalize(name)
        if not key:
            raise RowError({"alliance": ["Indiquez le nom de l'alliance."]})
        if key not in self._by_name:
            found = list(
                Alliance.objects.visible_to(self.workspace)
                .prefetch_related("parties__organization")
                .filter(name__iexact=name.strip())
            )
            if not found:  # accents or spacing differ: compare normalised names
                found = [
                    a
                    for a in Alliance.objects.visible_to(self.workspace).only("pk", "name")
                    if normalize(a.name) == key
                ]
                found = list(
                    Alliance.objects.filter(pk__in=[a.pk for a in found]).prefetch_related("parties__organization")
                )
            self._by_name[key] = found[0] if len(found) == 1 else None
        alliance = self._by_name[key]
        if alliance is None:
            raise RowError({"alliance": [f"Alliance introuvable « {name} » dans votre espace : créez-la d'abord."]})
        return alliance

    def active_parties(self, alliance: Alliance) -> set[int]:
        if alliance.pk not in self._active:
            self._active[alliance.pk] = {p.pk for p in alliance.parties.all() if p.left_at is None}
        return self._active[alliance.pk]

    def party(self, alliance: Alliance, reference: str, field_name: str):
        key = (alliance.pk, reference, field_name)
        if key not in self._parties:
            try:
                self._parties[key] = self._find_party(alliance, reference, field_name)
            except RowError as exc:
                self._parties[key] = exc
        found = self._parties[key]
        if isinstance(found, RowError):
            raise RowError(found.errors)
        return found

    def _find_party(self, alliance: Alliance, reference: str, field_name: str):
        ref = (reference or "").strip()
        compact = re.sub(r"[\s.\-]", "", ref).upper()
        target = normalize(ref)
        parties = [p for p in alliance.parties.all() if p.left_at is None]
        for p in parties:
            o = p.organization
            if (
                compact
                and compact in {o.siren, o.siret, o.rna}
                or (o.siren and compact[:9] == o.siren and len(compact) == 14)
            ):
                return p
        for p in parties:
            if normalize(p.organization.name) == target:
                return p
        from rapidfuzz import fuzz

        scored = sorted(
            ((fuzz.token_sort_ratio(target, normalize(p.organization.name)), p) for p in parties), key=lambda s: -s[0]
        )
        if scored and scored[0][0] >= 90 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
            return scored[0][1]
        names = ", ".join(p.organization.name for p in parties)
        raise RowError(
            {field_name: [f"Partenaire introuvable « {reference} » dans l'alliance ; ses parties : {names}."]}
        )


def _key(*parts) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def _collect(errors: dict, field_name: str, func, *args):
    try:
        return func(*args)
    except ValueError as exc:
        errors.setdefault(field_name, []).append(str(exc))
    except ValidationError as exc:
        errors.setdefault(field_name, []).extend(exc.messages)
    return None


class OrganizationRows:
    """Checked row by row with the checks of ``create_organization`` (no dry run), the directory read once per
    file by set-based look-ups (:meth:`prepare`), written batch by batch with ``create_organizations``."""

    entity = Entity.ORGANIZATION
    repeatable = False  # the same organisation twice in one file is one organisation
    dry_run_actions = False

    def prepare(self, columns: dict[str, list[str]], ctx: Context) -> None:
        """Before the rows are checked: every identifier, commune and name of the file looked up together."""
        directory = ctx.directory
        directory.prefetch_communes(columns.get("commune", []))
        directory.prefetch_identifiers([v for f in ("siren", "siret", "rna") for v in columns.get(f, [])])
        if ctx.nafs is None and any(columns.get("naf", [])):
            ctx.nafs = set(Naf.objects.values_list("code", flat=True))
        names, communes = columns.get("name", []), columns.get("commune", [])
        idents = [columns.get(f, []) for f in ("siren", "siret", "rna")]
        pairs = []
        for index, name in enumerate(names):
            if any(index < len(c) and c[index] for c in idents):
                continue  # found (or not) by its identifier: its name is not looked for
            cell = communes[index] if index < len(communes) else ""
            pairs.append((name, directory._communes.get(cell.strip()) if cell.strip() else None))
        directory.prefetch_names(pairs)

    def plan(self, v: dict, ctx: Context) -> tuple[str, dict, dict, dict | None]:
        errors: dict[str, list[str]] = {}
        name = v.get("name", "").strip()
        if not name:
            errors["name"] = ["Le nom est obligatoire."]
        kind = _collect(errors, "kind", choice, v.get("kind") or "association", Kind, "Type d'organisation")
        idents = {}
        for f, func in (
            ("siren", identifiers.clean_siren),
            ("siret", identifiers.clean_siret),
            ("rna", identifiers.clean_rna),
        ):
            if v.get(f):
                idents[f] = _collect(errors, f, func, v[f])
        commune = _collect(errors, "commune", ctx.directory.commune, v.get("commune", ""))
        if errors:
            raise RowError(errors)
        match = _by_identifiers(ctx.directory, idents)
        if not (match and match.organization) and not idents:
            match = ctx.directory.by_name(name, commune)
        base = next((f"{f}:{idents[f]}" for f in ("siren", "siret", "rna") if idents.get(f)), None)
        base = base or f"name:{normalize(name)}:{commune.code if commune else ''}"
        data = {
            "kind": kind,
            "name": name,
            **{f: idents.get(f, "") for f in ("siren", "siret", "rna")},
            "commune": commune.code if commune else "",
            "naf": v.get("naf", ""),
            "website": v.get("website", ""),
            "description": v.get("description", ""),
        }
        if not (match and match.organization and match.certain):  # to be created: the checks of the action
            communes = {commune.code: commune} if commune else {}
            try:
                cleaned = org_actions.check_organization(data, communes=communes, nafs=ctx.nafs)
            except ValidationError as exc:
                raise RowError(exc.message_dict) from exc
        else:
            cleaned = None
        payload: dict[str, Any] = {"data": data, "match": None, "certain": False, "cleaned": cleaned}
        proposal = None
        preview = {"Nom": name, "Type": Kind(kind).label, "Commune": commune.name if commune else ""}
        if match and match.organization:
            payload.update(match=match.organization.pk, certain=match.certain)
            if match.how == "nom":  # kept for the run: a match by name holds while the entry keeps its name
                payload["seen"] = match.organization.name_search
            label = organization_label(match.organization)
            preview["Annuaire"] = f"déjà présente : {label}" if match.certain else f"à confirmer : {label}"
            if not match.certain:
                proposal = {"id": match.organization.pk, "label": label, "score": match.score}
        else:
            preview["Annuaire"] = "nouvelle organisation"
        return base, payload, preview, proposal

    def matched(self, payload: dict) -> bool:
        """Already in the directory for certain: linked to the existing entry, not created."""
        return bool(payload["match"] and payload["certain"])

    def execute(self, payload: dict, ctx: Context, row: int) -> list[tuple[str, int, bool]]:
        return self.write([(payload, row)], ctx)[0]

    # ---- the check's decisions kept for the run (decision 0011): ``mark``, ``kept``, ``revise`` ----

    def mark(self) -> int:
        """Before the check: the directory's last id (entries after it are new to the run)."""
        return Organization.objects.aggregate(last=Max("pk"))["last"] or 0

    def kept(self, planned: Planned) -> list:
        """An accepted row as the check decided it, in JSON: [row, key, data, match, certain, cleaned, name seen]."""
        payload = planned.payload
        cleaned = payload["cleaned"]
        if cleaned is not None:
            cleaned = {**cleaned, "commune": cleaned["commune"].code if cleaned["commune"] is not None else None}
        data, match, certain, seen = payload["data"], payload["match"], payload["certain"], payload.get("seen")
        return [planned.row, planned.key, data, match, certain, cleaned, seen]

    def revise(self, rows: list[list], ctx: Context, since: int) -> list[Planned]:
        """The rows the check accepted (:meth:`kept`), decided again only where the directory may have changed
        since: every identifier looked up again (one ``IN`` per chunk: an entry created or given that identifier
        meanwhile is matched, never duplicated); a row matched by name whose entry is gone or renamed, and a row
        whose name is close (``PROPOSE``) to an entry created after ``since``, looked up again by name as the
        check does. The checks of the cells themselves (communes, NAF, identifiers' keys) do not change."""
        directory = ctx.directory
        directory.prefetch_communes({data["commune"] for _, _, data, *_ in rows} - {""})
        directory.prefetch_identifiers([data[f] for _, _, data, *_ in rows for f in IDENTIFIER_FIELDS if data[f]])
        if ctx.nafs is None and any(data["naf"] for _, _, data, *_ in rows):
            ctx.nafs = set(Naf.objects.values_list("code", flat=True))  # a row checked again at the write
        named = [r for r in rows if not any(r[2][f] for f in IDENTIFIER_FIELDS)]
        again = _named_again(named, since)
        directory.prefetch_names([(r[2]["name"], directory._communes.get(r[2]["commune"])) for r in again])
        communes = directory._communes
        planned = []
        again_rows = {r[0] for r in again}
        for row, key, data, match, certain, cleaned, _ in rows:
            idents = {f: data[f] for f in IDENTIFIER_FIELDS if data[f]}
            if idents:
                found = _by_identifiers(directory, idents)
                match, certain = (found.organization.pk, True) if found and found.organization else (None, False)
            elif row in again_rows:
                found = directory.by_name(data["name"], communes.get(data["commune"]))
                match, certain = (found.organization.pk, found.certain) if found.organization else (None, False)
            if cleaned is not None:
                cleaned = {**cleaned, "commune": communes.get(cleaned["commune"]) if cleaned["commune"] else None}
            payload = {"data": data, "match": match, "certain": certain, "cleaned": cleaned}
            planned.append(Planned(row, "", payload, key))
        return planned

    def write(self, items: list[tuple[dict, int]], ctx: Context) -> list[list[tuple[str, int, bool]]]:
        """A batch at once: the matched rows point at their entry, the others are created together."""
        results: list = [None] * len(items)
        new, positions = [], []
        communes = ctx.directory._communes
        for position, (payload, row) in enumerate(items):
            decision = ctx.decisions.get(str(row), "match")
            if payload["match"] and (payload["certain"] or decision != "new"):
                results[position] = [("organizations.Organization", payload["match"], False)]
                continue
            if payload.get("cleaned") is None:  # checked when planned, unless it was a certain match then
                data = payload["data"]
                known = {data["commune"]: communes[data["commune"]]} if communes.get(data["commune"]) else None
                try:
                    payload["cleaned"] = org_actions.check_organization(data, communes=known, nafs=ctx.nafs)
                except ValidationError as exc:
                    raise ValidationError({f"ligne {row} — {k}": v for k, v in exc.message_dict.items()}) from exc
            new.append(payload["cleaned"])
            positions.append(position)
        for position, pk in zip(
            positions, org_actions.create_organizations(new, created_by=ctx.user, workspace=ctx.workspace), strict=True
        ):
            results[position] = [("organizations.Organization", pk, True)]
        return results


IDENTIFIER_FIELDS = ("siren", "siret", "rna")
NEWER_AT_ONCE = 2_000_000  # rows × entries created since the check compared in memory; beyond, all looked up again


def _by_identifiers(directory: Directory, idents: dict[str, str]):
    """The entry a row's identifiers find (SIRET, then SIREN, then RNA), or the last look-up's empty match."""
    match = None
    for f in ("siret", "siren", "rna"):
        if idents.get(f):
            match = directory.by_identifier(idents[f])
            if match and match.organization:
                break
    return match


def _named_again(named: list[list], since: int) -> list[list]:
    """Of the kept rows without identifier (:meth:`OrganizationRows.kept`), those the directory's changes since the
    check may decide otherwise: matched to an entry now gone or renamed, or named close to an entry created since."""
    matched = sorted({r[3] for r in named if r[3]})
    names: dict[int, str] = {}
    for start in range(0, len(matched), 900):
        chunk = matched[start : start + 900]
        names.update(Organization.objects.filter(pk__in=chunk).values_list("pk", "name_search"))
    again = [r for r in named if r[3] and names.get(r[3]) != r[6]]
    # No ORDER BY (the model's default, by name): with it SQLite walked the whole name index for the few entries
    # after ``since`` (40 MB read at 1,000,000 organisations) instead of the primary key's range.
    newer = (
        list(Organization.objects.filter(pk__gt=since).order_by().values_list("name_search", flat=True))
        if named
        else []
    )
    if not newer:
        return again
    if len(newer) * len(named) > NEWER_AT_ONCE:
        return named
    from rapidfuzz import fuzz, process

    scores = process.cdist(
        [normalize(r[2]["name"]) for r in named], newer, scorer=fuzz.token_sort_ratio, score_cutoff=PROPOSE
    )
    close = cast(list[bool], scores.any(axis=1).tolist())
    taken = {r[0] for r in again}
    return again + [r for r, near in zip(named, close, strict=True) if near and r[0] not in taken]


def _prefetch_references(ctx: Context, cells) -> None:
    """The organisations named in ``cells`` (identifier, else name), looked up together: the identifiers in one
    query per chunk, the names through the search index (a window of neighbours, :meth:`Directory.prefetch_names`)."""
    references = {(cell or "").strip() for cell in cells} - {""}
    idents = [r for r in references if any(re.fullmatch(p, DIGITS.sub("", r).upper()) for _, p in IDENTIFIERS)]
    ctx.directory.prefetch_identifiers(idents)
    ctx.directory.prefetch_names([(r, None) for r in sorted(references - set(idents))])


def _chunked(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _batch_error(row: int, exc: ValidationError) -> ValidationError:
    """A domain refusal at write time, named by its row: the whole batch is refused with it."""
    messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    return ValidationError({f"ligne {row} — {k}" if k else f"ligne {row}": v for k, v in messages.items()})


# ---- the check's decisions kept for the run, for the kinds that refer to the directory or to alliances ----
# (decision 0011). A kind's ``revise`` is given the kept rows a chunk at a time (``revises_by_chunk``); the rows it
# refuses go to ``ctx.prepared["refused"]`` as (row, field, value, message), read by the runner after each chunk.


def _seen(organization) -> list:
    """What a reference was resolved on: the entry's searched name and identifiers (a rename or a new identifier
    may resolve the reference otherwise)."""
    return [organization.name_search, organization.siren, organization.siret, organization.rna]


def _is_identifier(reference: str) -> bool:
    compact = DIGITS.sub("", reference).upper()
    return any(re.fullmatch(p, compact) for _, p in IDENTIFIERS)


def _references_again(ctx: Context, resolved: dict[str, tuple[int, list]], since: int) -> dict[str, Any]:
    """Of the references a chunk's rows name (cell → (entry, what it was resolved on) as the check decided), those
    the directory's changes since the check may resolve otherwise, resolved again as the check does: the entry
    gone, renamed or given other identifiers; when entries were created after ``since``, the identifiers (one
    ``IN``) and the names close (``PROPOSE``) to one of them. {reference: its new ``Match``}."""
    pks = sorted({pk for pk, _ in resolved.values()})
    now: dict[int, list] = {}
    for chunk in _chunked(pks, 900):
        for pk, *seen in Organization.objects.filter(pk__in=chunk).values_list(
            "pk", "name_search", "siren", "siret", "rna"
        ):
            now[pk] = seen
    again = {ref for ref, (pk, seen) in resolved.items() if now.get(pk) != seen}
    rest = [ref for ref in resolved if ref not in again]
    newer: list[str] = []
    if rest:  # read once for the run (its chunks come one after the other)
        if "newer" not in ctx.prepared:
            ctx.prepared["newer"] = list(
                Organization.objects.filter(pk__gt=since).values_list("name_search", flat=True)
            )
        newer = ctx.prepared["newer"]
    if newer:
        again.update(ref for ref in rest if _is_identifier(ref))
        names = [ref for ref in rest if not _is_identifier(ref)]
        if len(newer) * len(names) > NEWER_AT_ONCE:
            again.update(names)
        elif names:
            from rapidfuzz import fuzz, process

            scores = process.cdist(
                [normalize(r) for r in names], newer, scorer=fuzz.token_sort_ratio, score_cutoff=PROPOSE
            )
            close = cast(list[bool], scores.any(axis=1).tolist())
            again.update(ref for ref, near in zip(names, close, strict=True) if near)
    if not again:
        return {}
    ctx.directory = Directory()  # what the check read of these entries is stale
    _prefetch_references(ctx, again)
    return {ref: ctx.directory.find(ref) for ref in again}


def _refuse(ctx: Context, row: int, field_name: str, value: str, message: str) -> None:
    ctx.prepared.setdefault("refused", []).append((row, field_name, value, message))


def _first_time(ctx: Context, key: str) -> bool:
    """False for a key a row of the run already took (a row whose reference now resolves like another's)."""
    keys = ctx.prepared.setdefault("keys", set())
    if key in keys:
        return False
    keys.add(key)
    return True


def _not_found(reference: str, match, where: str) -> str:
    hint = (
        f" ; la plus proche : {organization_label(match.organization)} (score {match.score:.0f})"
        if match.organization
        else ""
    )
    return f"{where} introuvable « {reference} » dans l'annuaire{hint} : indiquez son SIREN ou son RNA."


def _known_contacts(ctx: Context, orgs: set[int]) -> dict[tuple[int, str, str], int]:
    known: dict[tuple[int, str, str], int] = {}
    for chunk in _chunked(sorted(orgs)):
        for pk, org, name, email in (
            Contact.objects.visible_to(ctx.workspace)
            .filter(organization_id__in=chunk)
            .order_by("-pk")
            .values_list("pk", "organization_id", "name", "email")
        ):
            known[org, name.strip().lower(), email.strip().lower()] = pk  # the first one entered wins
    return known


def _taken_alliance_names(ctx: Context, names: list[str]) -> set[str]:
    """Of ``names`` (lower case), those an alliance of the workspace entered otherwise than by an import carries."""
    existing: list[tuple[str, int]] = []
    for chunk in _chunked(sorted(set(names) - {""})):
        existing += (
            Alliance.objects.visible_to(ctx.workspace)
            .annotate(lower=Lower("name"))
            .filter(lower__in=chunk)
            .values_list("lower", "pk")
        )
    # An alliance an import created is that row, already imported (the runner skips it by its key: a resumed
    # or repeated import); a name is taken by an alliance entered otherwise.
    imported: set[int | None] = set()
    for chunk in _chunked(sorted(pk for _, pk in existing)):
        imported.update(
            ImportedRow.objects.filter(
                workspace=ctx.workspace, model="alliances.Alliance", created=True, object_id__in=chunk
            ).values_list("object_id", flat=True)
        )
    return {lower for lower, pk in existing if pk not in imported}


class ContactRows:
    """Checked row by row with the checks of ``add_contact`` (no dry run), the organisations and the workspace's
    contacts read once per file (:meth:`prepare`), written batch by batch with ``add_contacts``. A contact already
    in the workspace (same organisation, name and e-mail) is linked, not created again."""

    entity = Entity.CONTACT
    repeatable = False
    dry_run_actions = False

    def prepare(self, columns: dict[str, list[str]], ctx: Context) -> None:
        references = columns.get("organization", [])
        _prefetch_references(ctx, references)
        orgs = set()
        for reference in set(references):
            match = ctx.directory.find(reference)
            if match.organization and match.certain:
                orgs.add(match.organization.pk)
        ctx.prepared["contacts"] = _known_contacts(ctx, orgs)

    def plan(self, v, ctx):
        errors: dict[str, list[str]] = {}
        match = ctx.directory.find(v.get("organization", ""))
        if not v.get("organization"):
            errors["organization"] = ["Indiquez l'organisation du contact (nom, SIREN, SIRET ou RNA)."]
        elif not match.organization or not match.certain:
            hint = (
                f" ; la plus proche : {organization_label(match.organization)} (score {match.score:.0f})"
                if match.organization
                else ""
            )
            errors["organization"] = [
                f"Organisation introuvable « {v['organization']} » dans l'annuaire{hint} : indiquez son SIREN ou son RNA."
            ]
        name = v.get("name", "").strip()
        if not name:
            errors["name"] = ["Le nom du contact est obligatoire."]
        if errors:
            raise RowError(errors)
        org = match.organization
        email = v.get("email", "").strip().lower()
        fields = {"organization_id": org.pk, "name": name, "role": v.get("role", ""), "email": email}
        fields["phone"] = v.get("phone", "")
        try:
            org_actions.check_contact(**fields)
        except ValidationError as exc:
            raise RowError(exc.message_dict) from exc
        known = ctx.prepared.get("contacts", {}).get((org.pk, name.lower(), email))
        payload = {"fields": fields, "match": known, "reference": v["organization"], "seen": _seen(org)}
        preview = {"Organisation": org.name, "Nom": name, "Fonction": fields["role"], "E-mail": email}
        if known:
            preview["Contacts"] = "déjà présent dans votre espace"
        return f"{org.pk}:{normalize(name)}:{email}", payload, preview, None

    def matched(self, payload: dict) -> bool:
        """Already in the workspace: linked to the existing contact, not created."""
        return bool(payload["match"])

    # ---- the check's decisions kept for the run (decision 0011) ----

    revises_by_chunk = True

    def mark(self) -> int:
        """Before the check: the directory's last id (entries after it are new to the run)."""
        return Organization.objects.aggregate(last=Max("pk"))["last"] or 0

    def kept(self, planned: Planned) -> list:
        """[row, key, organisation as written, fields, contact matched, what the organisation was found on]."""
        p = planned.payload
        return [planned.row, planned.key, p["reference"], p["fields"], p["match"], p["seen"]]

    def revise(self, rows: list[list], ctx: Context, since: int) -> list[Planned]:
        """The kept rows, decided again where the directory or the workspace's contacts may have changed since the
        check: each organisation named is found again when its entry is gone, renamed or given other identifiers,
        or when an entry created since may answer for it (:func:`_references_again`; not found any more: the row
        is refused); the contacts already there read again for these organisations (a contact added since is
        linked, one deleted since is created). The cells' checks (``check_contact``) hold."""
        again = _references_again(ctx, {r[2]: (r[3]["organization_id"], r[5]) for r in rows}, since)
        orgs: dict[int, int] = {}  # the row's organisation now
        planned_rows = []
        for row, key, reference, fields, _, seen in rows:
            match = again.get(reference)
            if match is not None:
                if not match.organization or not match.certain:
                    _refuse(ctx, row, "organization", reference, _not_found(reference, match, "Organisation"))
                    continue
                if match.organization.pk != fields["organization_id"]:
                    fields = {**fields, "organization_id": match.organization.pk}
                    key = natural_key(
                        self.entity, f"{match.organization.pk}:{normalize(fields['name'])}:{fields['email']}", 0
                    )
                seen = _seen(match.organization)
            if not _first_time(ctx, key):
                _refuse(
                    ctx,
                    row,
                    "",
                    "",
                    "Doublon d'une autre ligne du fichier (même organisation, nom et e-mail) : ignorée.",
                )
                continue
            orgs[row] = fields["organization_id"]
            planned_rows.append(
                Planned(row, "", {"fields": fields, "match": None, "reference": reference, "seen": seen}, key)
            )
        known = _known_contacts(ctx, set(orgs.values()))
        for p in planned_rows:
            f = p.payload["fields"]
            p.payload["match"] = known.get((f["organization_id"], f["name"].lower(), f["email"]))
        return planned_rows

    def execute(self, payload, ctx, row):
        return self.write([(payload, row)], ctx)[0]

    def write(self, items: list[tuple[dict, int]], ctx: Context) -> list[list[tuple[str, int, bool]]]:
        results: list = [None] * len(items)
        new, positions = [], []
        for position, (payload, row) in enumerate(items):
            if payload["match"]:
                results[position] = [("organizations.Contact", payload["match"], False)]
                continue
            try:
                new.append(org_actions.check_contact(**payload["fields"]))
            except ValidationError as exc:
                raise _batch_error(row, exc) from exc
            positions.append(position)
        for position, contact in zip(
            positions, org_actions.add_contacts(workspace=ctx.workspace, contacts=new), strict=True
        ):
            results[position] = [("organizations.Contact", contact.pk, True)]
        return results


def split_list(value: str) -> list[str]:
    return [p.strip() for p in re.split(r"[;|\n]", value or "") if p.strip()]


def _partner(entry: str) -> tuple[str, str]:
    """« Menuiserie du Lac (financeur) » → (reference, role)."""
    m = re.match(r"^(.*?)\s*\(([^()]*)\)\s*$", entry)
    return (m.group(1), m.group(2)) if m else (entry, "partenaire")


@dataclass(frozen=True, slots=True)
class _Party:
    pk: int
    kind: str


class AllianceRows:
    """Checked row by row with the checks of ``create_alliance`` (``check_alliance``: no dry run), the partners,
    their kinds and the workspace's alliance names read once per file (:meth:`prepare`), the territories once
    each; written batch by batch with ``create_alliances``."""

    entity = Entity.ALLIANCE
    repeatable = False
    dry_run_actions = False

    def prepare(self, columns: dict[str, list[str]], ctx: Context) -> None:
        references = [_partner(e)[0] for cell in set(columns.get("partners", [])) for e in split_list(cell)]
        _prefetch_references(ctx, references)
        orgs = {m.organization.pk for r in set(references) if (m := ctx.directory.find(r)).organization}
        kinds: dict[int, str] = {}
        for chunk in _chunked(sorted(orgs)):
            kinds.update(Organization.objects.filter(pk__in=chunk).values_list("pk", "kind"))
        taken = _taken_alliance_names(ctx, [n.strip().lower() for n in columns.get("name", [])])
        ctx.prepared.update(kinds=kinds, alliance_names=taken, territories={})

    def plan(self, v, ctx):
        errors: dict[str, list[str]] = {}
        name = v.get("name", "").strip()
        if not name:
            errors["name"] = ["Donnez un nom à l'alliance."]
        forms = [
            _collect(errors, "forms", choice, f, Form, "Forme")
            for f in re.split(r"[;,|/]", v.get("forms", ""))
            if f.strip()
        ]
        if not forms and "forms" not in errors:
            errors["forms"] = ["Indiquez au moins une forme (ex. mécénat financier)."]
        partners = []
        names: dict[int, str] = {}
        references = []  # (cell, entry, what it was found on): kept for the run
        for entry in split_list(v.get("partners", "")):
            ref, role = _partner(entry)
            role_code = _collect(errors, "partners", choice, role, PartyRole, "Rôle")
            match = ctx.directory.find(ref)
            if not match.organization or not match.certain:
                hint = (
                    f" (le plus proche : {organization_label(match.organization)}, score {match.score:.0f})"
                    if match.organization
                    else ""
                )
                errors.setdefault("partners", []).append(
                    f"Partenaire introuvable « {ref} » dans l'annuaire{hint} : indiquez son SIREN ou son RNA, "
                    "ou importez d'abord les organisations."
                )
            elif role_code:
                partners.append((match.organization.pk, role_code))
                names[match.organization.pk] = match.organization.name
                references.append((ref, match.organization.pk, _seen(match.organization)))
        if not partners and "partners" not in errors:
            errors["partners"] = ["Une alliance réunit au moins deux organisations : indiquez un partenaire."]
        level = (
            _collect(errors, "territory_level", choice, v["territory_level"], TerritoryLevel, "Échelle")
            if v.get("territory_level")
            else ""
        )
        starts = _collect(errors, "starts_on", parse_date_in_range, v.get("starts_on", ""))
        ends = _collect(errors, "ends_on", parse_date_in_range, v.get("ends_on", ""))
        taken = ctx.prepared.get("alliance_names")
        if name and (
            name.lower() in taken
            if taken is not None
            else Alliance.objects.visible_to(ctx.workspace).filter(name__iexact=name).exists()
        ):
            errors.setdefault("name", []).append("Une alliance porte déjà ce nom dans votre espace.")
        if errors:
            raise RowError(errors)
        kinds = ctx.prepared.get("kinds", {})
        try:
            checked = alliance_actions.check_alliance(
                workspace=ctx.workspace,
                name=name,
                forms=[f for f in forms if f],
                partners=[(_Party(pk, kinds.get(pk, "")), role, "") for pk, role in partners],
                purpose=v.get("purpose", ""),
                territory_level=level or "",
                territory_code=v.get("territory_code", ""),
                starts_on=starts,
                ends_on=ends,
                territories=ctx.prepared.setdefault("territories", {}),
            )
        except ValidationError as exc:
            raise RowError(exc.message_dict) from exc
        payload = {"checked": checked, "references": references}
        preview = {
            "Nom": name,
            "Formes": ", ".join(Form(f).label for f in checked["alliance"]["forms"]),
            "Partenaires": "; ".join(f"{names.get(p, p)} ({PartyRole(r).label})" for p, r in partners),
        }
        return normalize(name), payload, preview, None

    def execute(self, payload, ctx, row):
        return self.write([(payload, row)], ctx)[0]

    # ---- the check's decisions kept for the run (decision 0011) ----

    revises_by_chunk = True

    def mark(self) -> int:
        """Before the check: the directory's last id (entries after it are new to the run)."""
        return Organization.objects.aggregate(last=Max("pk"))["last"] or 0

    def kept(self, planned: Planned) -> list:
        """[row, key, alliance's fields (JSON: dates in ISO, territory by codes), own party, partners, references]."""
        checked = planned.payload["checked"]
        fields = dict(checked["alliance"])
        for day in ("starts_on", "ends_on"):
            fields[day] = fields[day].isoformat() if fields[day] else None
        for place in ("departement", "region"):
            if place in fields:
                found = fields.pop(place)
                fields[f"{place}_id"] = found.pk if found is not None else None
        return [planned.row, planned.key, fields, checked["own"], checked["partners"], planned.payload["references"]]

    def revise(self, rows: list[list], ctx: Context, since: int) -> list[Planned]:
        """The kept rows, decided again where the workspace's alliances or the directory may have changed since the
        check: the name taken meanwhile by an alliance entered otherwise (refused, as the check does); each partner
        found again when its entry is gone, renamed or given other identifiers, or when an entry created since may
        answer for it (:func:`_references_again`; not found any more: refused; now the same organisation as
        another party: refused); the partners' kinds read again. Names, forms, dates, territories (reference
        data) hold."""
        from datetime import date

        taken = _taken_alliance_names(ctx, [r[2]["name"].lower() for r in rows])
        resolved = {ref: (pk, seen) for r in rows for ref, pk, seen in r[5]}
        again = _references_again(ctx, resolved, since)
        own = ctx.workspace.organization_id
        decided = []
        for row, key, fields, own_role, partners, references in rows:
            if fields["name"].lower() in taken:
                _refuse(ctx, row, "name", fields["name"], "Une alliance porte déjà ce nom dans votre espace.")
                continue
            now, errors = [], []
            for (ref, pk, _), (_, kind, role, commitment) in zip(references, partners, strict=True):
                match = again.get(ref)
                if match is not None:
                    if not match.organization or not match.certain:
                        errors.append(_not_found(ref, match, "Partenaire"))
                        continue
                    pk = match.organization.pk
                now.append([pk, kind, role, commitment])
            pks = [own] + [p[0] for p in now]
            if not errors and len(set(pks)) != len(pks):
                errors.append("Une même organisation ne peut être partie deux fois.")
            if errors:
                for message in errors:
                    _refuse(ctx, row, "partners", "", message)
                continue
            decided.append((row, key, fields, own_role, now))
        kinds: dict[int, str] = {}
        for chunk in _chunked(sorted({p[0] for *_, now in decided for p in now})):
            kinds.update(Organization.objects.filter(pk__in=chunk).values_list("pk", "kind"))
        planned = []
        for row, key, fields, own_role, now in decided:
            if any(p[0] not in kinds for p in now):  # deleted since this chunk's references were read again
                _refuse(
                    ctx, row, "partners", "", "Un partenaire a été retiré de l'annuaire : relancez la vérification."
                )
                continue
            alliance = {
                **fields,
                **{d: date.fromisoformat(fields[d]) if fields[d] else None for d in ("starts_on", "ends_on")},
            }
            checked = {
                "alliance": alliance,
                "own": tuple(own_role),
                "partners": [(pk, kinds[pk], role, commitment) for pk, _, role, commitment in now],
            }
            planned.append(Planned(row, "", {"checked": checked}, key))
        return planned

    def write(self, items: list[tuple[dict, int]], ctx: Context) -> list[list[tuple[str, int, bool]]]:
        checked = [payload["checked"] for payload, _ in items]
        alliances = alliance_actions.create_alliances(workspace=ctx.workspace, user=ctx.user, checked=checked)
        return [[("alliances.Alliance", a.pk, True)] for a in alliances]


SKILLS_REFUSED = (
    "Un mécénat de compétences se valorise salarié par salarié : saisissez-le dans Maillage "
    "(ou importez l'archive complète), pas dans un tableau d'une ligne par contribution."
)


# What Maillage itself prints for these natures elsewhere (the alliances' forms, the matching's offers), and
# the words of the accounting plan: accepted as the nature they name.
KIND_ALIASES = {
    "mecenat financier": ContributionKind.MONEY,
    "don en numeraire": ContributionKind.MONEY,
    "numeraire": ContributionKind.MONEY,
    "financier": ContributionKind.MONEY,
    "mecenat en nature": ContributionKind.IN_KIND,
    "don en nature": ContributionKind.IN_KIND,
    "en nature": ContributionKind.IN_KIND,
    "nature": ContributionKind.IN_KIND,
    "mecenat de competences": ContributionKind.SKILLS,
    "competences": ContributionKind.SKILLS,
    "prestation": ContributionKind.SERVICE,
}


def _contribution_kind(value: str) -> str:
    alias = KIND_ALIASES.get(normalize(value or ""))
    return str(alias) if alias else choice(value, ContributionKind, "Nature")


def _contribution_status(value: str) -> str:
    return choice(value, Status, "Statut")


def _valuation_method(value: str) -> str:
    return choice(value, ValuationMethod, "Méthode")


def _number_or_text(value: str):
    """A number for ``clean_contribution``, or the cell itself when it is not one (its message is then the
    domain's)."""
    try:
        return parse_decimal(value)
    except ValueError:
        return value


class ContributionRows:
    """Validated by :func:`maillage.contributions.cleaning.clean_contribution` (the checks of
    ``record_contribution``) in ``plan``, then written in bulk by :mod:`maillage.exchange.batch_writes`. Each distinct
    cell (nature, statut, dates, amounts) and each alliance and partner is parsed or looked up once per file."""

    entity = Entity.CONTRIBUTION
    repeatable = True  # two identical gifts in one file are two gifts
    dry_run_actions = False

    def plan(self, v, ctx):
        get = v.get
        alliance = ctx.alliance(get("alliance", ""))  # unknown: the row stops here
        errors: dict[str, list[str]] = {}
        giver = receiver = None
        try:
            giver = ctx.party(alliance, get("giver", ""), "giver")
        except RowError as exc:
            errors.update(exc.errors)
        try:
            receiver = ctx.party(alliance, get("receiver", ""), "receiver")
        except RowError as exc:
            errors.update(exc.errors)
        cell = ctx.cell
        kind = cell("kind", get("kind", ""), _contribution_kind, errors)
        method = get("valuation_method", "")
        method = cell("valuation_method", method, _valuation_method, errors) or "" if method else ""
        promised_on = cell("promised_on", get("promised_on", ""), parse_date, errors)
        received_on = cell("received_on", get("received_on", ""), parse_date, errors)
        # No status: a date of receipt means received (never a promise that loses its date), else promised.
        default = Status.RECEIVED if received_on else Status.PROMISED
        status = cell("status", get("status") or default, _contribution_status, errors)
        value = cell("value", get("value", ""), parse_decimal, errors)
        if kind == ContributionKind.SKILLS:
            errors["kind"] = [SKILLS_REFUSED]
        if errors:
            raise RowError(errors)
        assert giver is not None and receiver is not None  # a party not found is an error above
        hours, rate = get("hours", ""), get("hourly_rate", "")

        try:
            row = clean_contribution(
                alliance=alliance,
                giver=giver,
                receiver=receiver,
                kind=kind,
                description=get("description", ""),
                value=value,
                valuation_method=method,
                status=status,
                promised_on=promised_on,
                received_on=received_on,
                evidence=get("evidence", ""),
                hours=_number_or_text(hours) if hours else None,
                hourly_rate=_number_or_text(rate) if rate else None,
                today=ctx.today,
                active=ctx.active_parties(alliance),
            ).fields
        except ValidationError as exc:
            raise RowError(exc.message_dict) from exc
        # The natural key: the same text as ever, so that files imported before are still recognised.
        base = (
            f"{row['alliance_id']!s}:{row['giver_id']!s}:{row['receiver_id']!s}:{kind!s}:{row['value']!s}:"
            f"{promised_on!s}:{row['received_on']!s}:{' '.join(row['description'].lower().split())}"
        )
        preview = {}
        if ctx.previews_left > 0:
            ctx.previews_left -= 1
            preview = {
                "Alliance": alliance.name,
                "De": giver.organization.name,
                "À": receiver.organization.name,
                "Nature": ContributionKind(kind).label,
                "Valeur (€)": f"{row['value']:,.2f}".replace(",", "\u00a0").replace(".", ","),  # 1 200,00
                "Statut": Status(status).label,
            }
        return base, row, preview, None


class InteractionRows:
    """Checked row by row with the checks of ``log_interaction`` (``check_interaction``: no dry run), the file's
    alliances and their parties read once each (:meth:`prepare`), written batch by batch with
    ``log_interactions``."""

    entity = Entity.INTERACTION
    repeatable = True
    dry_run_actions = False

    def prepare(self, columns: dict[str, list[str]], ctx: Context) -> None:
        for cell in set(columns.get("alliance", [])):
            try:
                ctx.alliance(cell)
            except RowError:
                continue  # reported row by row

    def plan(self, v, ctx):
        errors: dict[str, list[str]] = {}
        alliance = _collect(errors, "alliance", ctx.alliance, v.get("alliance", ""))
        kind = _collect(errors, "kind", choice, v.get("kind", ""), InteractionKind, "Type d'échange")
        day = _collect(errors, "occurred_on", parse_date_in_range, v.get("occurred_on", ""))
        if day is None and "occurred_on" not in errors:
            errors["occurred_on"] = ["Indiquez la date de l'échange."]
        minutes = _collect(errors, "duration_minutes", parse_int, v.get("duration_minutes", ""))
        if minutes is None and "duration_minutes" not in errors:
            errors["duration_minutes"] = ["Indiquez la durée en minutes."]
        if errors:
            raise RowError(errors)
        subject = v.get("subject", "")
        errors = alliance_actions.check_interaction(
            kind=kind, occurred_on=day, duration_minutes=minutes, subject=subject
        )
        if my_party(alliance, ctx.workspace) is None:
            errors["alliance"] = [f"Votre espace n'est plus partie à l'alliance « {alliance.name} »."]
        if errors:
            raise RowError(errors)
        ctx.prepared.setdefault("alliances", {})[alliance.pk] = alliance
        payload = {
            "alliance": alliance.pk,
            "kind": kind,
            "occurred_on": day.isoformat(),
            "duration_minutes": minutes,
            "subject": subject,
            "notes": v.get("notes", ""),
        }
        preview = {
            "Alliance": alliance.name,
            "Type": InteractionKind(kind).label,
            "Date": f"{day:%d/%m/%Y}",
            "Durée": f"{minutes} min",
        }
        base = f"{alliance.pk}:{kind}:{day}:{minutes}:{normalize(payload['subject'])}"
        payload["cell"] = v.get("alliance", "")
        return base, payload, preview, None

    # ---- the check's decisions kept for the run (decision 0011) ----

    revises_by_chunk = True

    def mark(self) -> int:
        return 0  # the alliances named are all looked up again (one query per name for the run)

    def kept(self, planned: Planned) -> list:
        """[row, key, the interaction's fields (with the alliance as written, ``cell``)]."""
        return [planned.row, planned.key, planned.payload]

    def revise(self, rows: list[list], ctx: Context, since: int) -> list[Planned]:
        """The kept rows, with each alliance named found again by its name (one query per name for the run: an
        alliance deleted, renamed or shared under the same name since the check is seen) and the workspace still
        one of its active parties (one that left since is refused); a row whose alliance is another one now takes
        its key. Type, date, duration and subject hold."""
        occurrences = ctx.prepared.setdefault("occurrences", Counter())
        alliances = ctx.prepared.setdefault("alliances", {})
        planned = []
        for row, _, payload in rows:
            try:
                alliance = ctx.alliance(payload["cell"])
            except RowError as exc:
                for field_name, messages in exc.errors.items():
                    for message in messages:
                        _refuse(ctx, row, field_name, payload["cell"], message)
                continue
            if my_party(alliance, ctx.workspace) is None:
                message = f"Votre espace n'est plus partie à l'alliance « {alliance.name} »."
                _refuse(ctx, row, "alliance", payload["cell"], message)
                continue
            alliances[alliance.pk] = alliance
            if alliance.pk != payload["alliance"]:
                payload = {**payload, "alliance": alliance.pk}
            base = (
                f"{alliance.pk}:{payload['kind']}:{payload['occurred_on']}:{payload['duration_minutes']}:"
                f"{normalize(payload['subject'])}"
            )
            occurrence = occurrences[base]  # as the check counts them: the same keys when nothing changed
            occurrences[base] = occurrence + 1
            planned.append(Planned(row, base, payload, natural_key(self.entity, base, occurrence)))
        return planned

    def execute(self, payload, ctx, row):
        return self.write([(payload, row)], ctx)[0]

    def write(self, items: list[tuple[dict, int]], ctx: Context) -> list[list[tuple[str, int, bool]]]:
        from datetime import date

        alliances = ctx.prepared.setdefault("alliances", {})
        missing = {p["alliance"] for p, _ in items} - set(alliances)
        if missing:  # planned in another context (not the runner's way): read them, with their parties
            alliances.update(
                Alliance.objects.visible_to(ctx.workspace).prefetch_related("parties").in_bulk(list(missing))
            )
        rows = [
            {
                **{k: v for k, v in payload.items() if k != "cell"},
                "alliance": alliances[payload["alliance"]],
                "occurred_on": date.fromisoformat(payload["occurred_on"]),
            }
            for payload, _ in items
        ]
        try:
            interactions = alliance_actions.log_interactions(workspace=ctx.workspace, user=ctx.user, rows=rows)
        except ValidationError as exc:
            raise _batch_error(items[0][1], exc) from exc
        return [[("alliances.Interaction", i.pk, True)] for i in interactions]


def natural_key(entity: str, base: str, occurrence: int) -> str:
    return hashlib.sha256(f"{entity!s}\x1f{base}\x1f{occurrence}".encode()).hexdigest()  # = _key(entity, base, …)
