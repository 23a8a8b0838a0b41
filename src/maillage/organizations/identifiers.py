"""French identifiers of organisations, validated with python-stdnum (never a hand-written checksum).

Each ``clean_*`` returns the compact form or raises ``ValidationError`` with a French message saying what is
wrong and how to fix it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.core.exceptions import ValidationError
from stdnum import exceptions as stdnum_errors
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from maillage.territories.models import Naf

# RNA (Répertoire national des associations): "W" then 9 characters, the first three being the code of the
# prefecture that registered it (``W2A`` / ``W2B`` for Corsica), e.g. W751234567 or W2A1002345.
RNA_RE = re.compile(r"^W[0-9][0-9AB][0-9]{7}$")
NAF_RE = re.compile(r"^[0-9]{2}\.[0-9]{2}[A-Z]$")


_SEPARATORS = re.compile(r"[\s.\-]")


def _compact(value: str) -> str:
    return _SEPARATORS.sub("", value or "").upper()


@lru_cache(maxsize=1 << 14)  # an import checks each identifier more than once
def clean_siren(value: str) -> str:
    compact = _compact(value)
    try:
        return stdnum_siren.validate(compact)
    except stdnum_errors.InvalidLength as exc:
        raise ValidationError(f"Le SIREN « {value} » doit compter 9 chiffres (il en a {len(compact)}).") from exc
    except stdnum_errors.InvalidFormat as exc:
        raise ValidationError(f"Le SIREN « {value} » ne doit contenir que des chiffres.") from exc
    except stdnum_errors.InvalidChecksum as exc:
        raise ValidationError(
            f"Le SIREN « {value} » n'est pas valide (clé de contrôle fausse) : vérifiez-le sur l'avis de situation INSEE."
        ) from exc


@lru_cache(maxsize=1 << 14)  # an import checks each identifier more than once
def clean_siret(value: str) -> str:
    compact = _compact(value)
    try:
        return stdnum_siret.validate(compact)
    except stdnum_errors.InvalidLength as exc:
        raise ValidationError(f"Le SIRET « {value} » doit compter 14 chiffres (il en a {len(compact)}).") from exc
    except stdnum_errors.InvalidFormat as exc:
        raise ValidationError(f"Le SIRET « {value} » ne doit contenir que des chiffres.") from exc
    except stdnum_errors.InvalidChecksum as exc:
        raise ValidationError(
            f"Le SIRET « {value} » n'est pas valide (clé de contrôle fausse) : vérifiez-le sur l'avis de situation INSEE."
        ) from exc


def clean_rna(value: str) -> str:
    compact = _compact(value)
    if not RNA_RE.match(compact):
        raise ValidationError(f"Le numéro RNA « {value} » doit commencer par W suivi de 9 caractères (ex. W751234567).")
    return compact


def clean_naf(value: str, known: set[str] | None = None) -> str:
    """A NAF rév. 2 sub-class that exists in the nomenclature, e.g. ``88.99B`` (``8899B`` is accepted);
    ``known``: the nomenclature's codes read in advance."""

    compact = _compact(value)
    if re.match(r"^[0-9]{4}[A-Z]$", compact):
        compact = f"{compact[:2]}.{compact[2:]}"
    exists = (compact in known) if known is not None else Naf.objects.filter(code=compact).exists()
    if not NAF_RE.match(compact) or not exists:
        raise ValidationError(
            f"Le code NAF « {value} » n'existe pas dans la nomenclature NAF rév. 2 (format attendu : 88.99B)."
        )
    return compact
