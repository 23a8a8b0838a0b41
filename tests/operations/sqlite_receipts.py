"""A Maillage process issuing receipts on the SQLite file of ``DATABASE_URL`` (the SQLite-by-URL drill).

``python sqlite_receipts.py seed N``: an eligible association and N gifts of individuals; prints the gift ids.
``python sqlite_receipts.py issue ID,ID,…``: prints ``ready``, waits for a line on its standard input (so that
both processes start together), issues one receipt per gift, prints a JSON summary of the outcomes.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from maillage.core.roles import Role  # noqa: E402
from maillage.organizations.actions import create_organization  # noqa: E402
from maillage.receipts.actions import issue_receipt, record_individual_gift  # noqa: E402
from maillage.receipts.models import IndividualGift  # noqa: E402
from maillage.workspaces.models import Membership, User, Workspace  # noqa: E402
from tests.receipts.factories import make_eligible  # noqa: E402


def seed(n: int) -> None:
    org = create_organization(data={"kind": "association", "name": "Les Jardins du Verrou", "rna": "W691009993"})
    workspace = Workspace.objects.create(name="Verrou", organization=org, verified_at=timezone.now())
    user = User.objects.create_user("verrou@maillage.test", "mot-de-passe-du-verrou", full_name="Verrou")
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    make_eligible(workspace, user)
    ids = [
        record_individual_gift(
            workspace=workspace,
            user=user,
            donor_name=f"Donateur {i}",
            donor_address="1 rue A, 69001 Lyon",
            amount="10",
            received_on=date(2025, 1, 2),
            payment_method="cheque",
        ).pk
        for i in range(n)
    ]
    print(json.dumps(ids))


def issue(ids: list[int]) -> None:
    gifts = list(IndividualGift.objects.filter(pk__in=ids).select_related("workspace"))
    user = User.objects.get(email="verrou@maillage.test")
    with connection.cursor() as cursor:
        pragmas = {name: cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in ("journal_mode", "synchronous")}
    print("ready", flush=True)
    sys.stdin.readline()
    outcomes: dict[str, int] = {}
    for gift in gifts:
        try:
            issue_receipt(workspace=gift.workspace, user=user, individual_gift=gift)
            key = "issued"
        except Exception as exc:  # noqa: BLE001 (every failure is counted and shown)
            key = f"{type(exc).__name__}: {exc}"
        outcomes[key] = outcomes.get(key, 0) + 1
    print(json.dumps({"outcomes": outcomes, "pragmas": pragmas, "options": connection.settings_dict["OPTIONS"]}))


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        seed(int(sys.argv[2]))
    else:
        issue([int(i) for i in sys.argv[2].split(",")])
