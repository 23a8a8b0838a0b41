"""The bounds of a row id, for pages and API alike.

Every table's primary key is a ``BigAutoField`` (``DEFAULT_AUTO_FIELD``): no row has an id outside
``1 … 2^63 − 1``. An id beyond it, typed in a URL or sent to the API, names nothing: it answers 404 (or 422 in
a JSON body), never an overflow in the database driver (SQLite's integers stop at 2^63 − 1).
"""

from __future__ import annotations

from django.http import Http404

MAX_ID = 2**63 - 1


def is_valid_id(value: int) -> bool:
    return 0 < value <= MAX_ID


def check_id(value: int) -> int:
    """``value`` if a row could have it, else 404 ("Objet introuvable.")."""
    if not is_valid_id(value):
        raise Http404("Objet introuvable.")
    return value
