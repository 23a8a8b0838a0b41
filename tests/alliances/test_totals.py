"""The sums the dashboard reads, kept up to date on write: equal to a recomputation, and safe under concurrency.

Every test of the suite already checks, when it ends, that the kept sums equal the rows (``_sums_kept_on_write``
in ``tests/conftest.py``). Here: a rebuild changes nothing, and writers racing on one party all land.
"""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connections

from maillage.alliances import totals as alliance_totals
from maillage.alliances.models import PartyTime
from maillage.contributions import overview
from maillage.contributions import totals as contribution_totals
from maillage.contributions.actions import mark_received
from maillage.contributions.models import Contribution, ReceivedSum
from tests.alliances.helpers import log, make_alliance, make_company
from tests.alliances.test_queries import figures, give  # noqa: F401 (figures: a fixture)


def _kept() -> tuple[dict, dict]:
    time = dict(PartyTime.objects.values_list("party_id", "minutes"))
    sums = {(r.pop("receiver_id"), r.pop("giver_kind")): r for r in ReceivedSum.objects.values() if r.pop("id")}
    return time, sums


def _dashboard_figures(workspace) -> list:
    data = overview.dashboard(workspace)
    return [(r.key, r.minutes, r.resources, r.promised) for r in [data.totals, *data.kind_rows, *data.alliance_rows]]


@pytest.mark.django_db
def test_a_rebuild_finds_what_the_actions_kept(people, workspace_a, figures):  # noqa: F811
    contribution = Contribution.objects.get(status="promised", kind="skills")
    mark_received(contribution=contribution, workspace=workspace_a, user=people["owner"], received_on=date(2026, 4, 1))
    kept, shown = _kept(), _dashboard_figures(workspace_a)
    assert kept[0] and kept[1]

    alliance_totals.rebuild()
    contribution_totals.rebuild()

    assert _kept() == kept
    assert _dashboard_figures(workspace_a) == shown
    # The skills gift moved from promised to received: 1000 + 200 + 500 + 120 received, nothing promised.
    totals = overview.dashboard(workspace_a).totals
    assert (totals.resources, totals.promised, totals.minutes) == (Decimal("1820.00"), Decimal("0"), 200)


def _race(jobs) -> list[str]:
    """Run the callables at once, each in its own thread and connection; their outcomes, in order."""
    barrier, outcomes = threading.Barrier(len(jobs)), [""] * len(jobs)

    def run(i, job):
        try:
            barrier.wait(timeout=30)
            job()
            outcomes[i] = "ok"
        except ValidationError:
            outcomes[i] = "refused"
        except Exception as exc:  # pragma: no cover - reported by the assertion
            outcomes[i] = f"error {exc!r}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.django_db
def test_check_sums_command_finds_an_edit_made_in_the_database_and_recomputes(workspace_a, figures, capsys):  # noqa: F811
    call_command("check_sums")
    assert "Sommes à jour" in capsys.readouterr().out
    # An administrator corrects an amount directly in the database, past the actions: the sums no longer match.
    Contribution.objects.filter(kind="money").update(value=Decimal("1500"))
    PartyTime.objects.update(minutes=1)
    with pytest.raises(CommandError) as refused:
        call_command("check_sums")
    assert "temps investi diffère" in str(refused.value) and "--recalculer" in str(refused.value)
    call_command("check_sums", "--recalculer")
    assert "Sommes recalculées" in capsys.readouterr().out
    assert overview.dashboard(workspace_a).totals.resources == Decimal("1500.00") + Decimal("200.00") + Decimal(
        "120.00"
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_one_party_all_land(concurrent_ok, people, workspace_a, org_a):
    owner = people["owner"]
    company = make_company("Imprimerie Rhodanienne")
    alliance = make_alliance(workspace_a, owner, [company])
    own = alliance.parties.get(organization=org_a)
    promised = give(alliance, workspace_a, owner, company, org_a, "money", "500", status="promised")

    def gift():
        return give(alliance, workspace_a, owner, company, org_a, "money", "100")

    def meet():
        return log(alliance, workspace_a, owner, 30)

    def receive():
        return mark_received(contribution=promised, workspace=workspace_a, user=owner, received_on=date(2026, 2, 1))

    outcomes = _race([gift] * 4 + [meet, meet, meet] + [receive, receive])

    assert outcomes[:7] == ["ok"] * 7
    assert sorted(outcomes[7:]) == ["ok", "refused"]  # received once: its value moved once
    sums = ReceivedSum.objects.get(receiver=own, giver_kind="company")
    assert (sums.money, sums.promised) == (Decimal("900.00"), Decimal("0.00"))
    assert PartyTime.objects.get(party=own).minutes == 90
    assert alliance_totals.drift() == [] and contribution_totals.drift() == []
