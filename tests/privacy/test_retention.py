"""Retention, by property: on any day, the purge erases every row older than its period and nothing younger; a
gift that has an issued receipt and the receipt itself stay until the receipt's own end (LPF art. L. 102 B)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage.alliances.models import Interaction
from maillage.core.personal_data import years_before
from maillage.organizations.actions import add_contact
from maillage.organizations.models import Contact
from maillage.privacy.actions import purge_personal_data
from maillage.receipts.actions import issue_receipt, record_individual_gift
from maillage.receipts.models import IndividualGift, Receipt
from tests.receipts.factories import make_alliance, make_eligible

pytestmark = pytest.mark.django_db

EARLIEST = date(2012, 1, 1)
TODAY_REAL = date(2026, 12, 1)
days = st.integers(min_value=0, max_value=(TODAY_REAL - EARLIEST).days)


class _Rollback(Exception):
    pass


@pytest.fixture
def setting_up(workspace_a, people):
    owner = people["owner"]
    make_eligible(workspace_a, owner)
    alliance = make_alliance(workspace_a, owner)
    return workspace_a, owner, alliance


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    contacts=st.lists(st.tuples(days, st.one_of(st.none(), days)), max_size=6),
    gifts=st.lists(st.tuples(days, st.booleans()), max_size=5),
    purge_on=st.dates(min_value=date(2026, 1, 1), max_value=date(2046, 12, 31)),
)
def test_the_purge_keeps_what_is_young_and_erases_what_is_old(setting_up, contacts, gifts, purge_on):
    workspace, owner, alliance = setting_up
    company = next(p.organization for p in alliance.parties.all() if p.organization_id != workspace.organization_id)
    own_party = next(p for p in alliance.parties.all() if p.organization_id == workspace.organization_id)
    try:
        with transaction.atomic():
            made_contacts = []
            for index, (created, met) in enumerate(contacts):
                contact = add_contact(workspace=workspace, organization=company, name=f"Personne {index}")
                Contact.objects.filter(pk=contact.pk).update(created_at=_aware(EARLIEST + timedelta(days=created)))
                last = None
                if met is not None:
                    last = EARLIEST + timedelta(days=met)
                    meeting = Interaction.objects.create(
                        alliance=alliance, workspace=workspace, kind="meeting", occurred_on=last, duration_minutes=0
                    )
                    meeting.contacts.add(contact)
                made_contacts.append((contact.pk, EARLIEST + timedelta(days=created), last))
            made_gifts = []
            for index, (received, with_receipt) in enumerate(gifts):
                gift = record_individual_gift(
                    workspace=workspace,
                    user=owner,
                    donor_name=f"Donateur {index}",
                    donor_address="1 place Bellecour, 69002 Lyon",
                    amount="10.00",
                    received_on=EARLIEST + timedelta(days=received),
                    payment_method="cheque",
                )
                receipt = issue_receipt(workspace=workspace, user=owner, individual_gift=gift) if with_receipt else None
                made_gifts.append((gift, receipt))
            assert own_party  # the alliance's own party exists (the meetings above are its exchanges)

            purge_personal_data(today=purge_on)

            contact_cutoff = years_before(purge_on, 3)
            for pk, created, last in made_contacts:
                old = created < contact_cutoff and (last is None or last < contact_cutoff)
                assert Contact.objects.filter(pk=pk).exists() is not old, (created, last, purge_on)
            gift_cutoff = years_before(purge_on, 10)
            for gift, receipt in made_gifts:
                held = receipt is not None and receipt.retain_until >= purge_on
                erased = IndividualGift.objects.get(pk=gift.pk).donor_name == "Donateur effacé"
                assert erased is (gift.received_on < gift_cutoff and not held), (gift.received_on, purge_on, held)
                if receipt is not None:
                    assert Receipt.objects.filter(pk=receipt.pk).exists() is (receipt.retain_until >= purge_on)
            raise _Rollback
    except _Rollback:
        pass
