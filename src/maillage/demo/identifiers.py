"""Synthetic but valid identifiers for demo and generated data (Luhn keys computed by python-stdnum)."""

from __future__ import annotations

import random

from stdnum import luhn


def fake_siren(rng: random.Random) -> str:
    # Start with 8 or 9: INSEE allocates those ranges to no real legal unit in our demo territories' data.
    body = str(rng.choice([8, 9])) + "".join(str(rng.randrange(10)) for _ in range(7))
    return body + luhn.calc_check_digit(body)


def fake_siret(siren: str, rng: random.Random) -> str:
    body = siren + "".join(str(rng.randrange(10)) for _ in range(4))
    return body + luhn.calc_check_digit(body)


def fake_rna(departement: str, rng: random.Random) -> str:
    prefix = departement[:3].rjust(3, "0") if len(departement) == 3 else departement + str(rng.randrange(10))
    return "W" + prefix + "".join(str(rng.randrange(10)) for _ in range(6))
