"""One check for contributions (``clean_contribution``): the importer's bulk writer writes exactly what
record_contribution writes, and both refuse the same rows with the same messages."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from maillage.contributions.actions import record_contribution
from maillage.contributions.cleaning import clean_contribution
from maillage.contributions.models import Contribution
from maillage.exchange.batch_writes import write_contributions

FIELDS = [
    "alliance_id",
    "giver_id",
    "giver_kind",
    "receiver_id",
    "kind",
    "status",
    "description",
    "value",
    "valuation_method",
    "evidence",
    "promised_on",
    "received_on",
    "hours",
    "hourly_rate",
    "signed_timesheet",
    "counterparts_value",
    "created_by_workspace_id",
    "created_by_id",
]

inputs = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["money", "in_kind", "service", "volunteering", "skills", "gift"]),
        # Tabs, newlines and backslashes: what PostgreSQL's COPY text format must escape.
        "description": st.sampled_from(["Don", "", " Matériel  ", "x" * 501, "Bois\\brut\tlot 2\nlivré\r le 3", "\\N"]),
        "value": st.sampled_from(["100", "0", "-3", "abc", "12,5", "1 000,25", "", None, "1000000000", "NaN"]),
        "valuation_method": st.sampled_from(["", "nominal", "cost_price", "contract_price", "hourly_rate", "bad"]),
        "status": st.sampled_from(["promised", "received", "lost"]),
        "received_on": st.sampled_from([None, date(2024, 3, 1), date(1980, 1, 1), date(2099, 1, 1)]),
        "promised_on": st.sampled_from([None, date(2023, 1, 1), date(1985, 5, 5)]),
        "hours": st.sampled_from([None, "10", "0", "x"]),
        "hourly_rate": st.sampled_from([None, "11,88", "2000"]),
        "evidence": st.sampled_from(["", "facture", "C:\\factures\\n°12\t(copie)\n"]),
    }
)


class BulkEquivalence(TestCase):
    @classmethod
    def setUpTestData(cls):
        from maillage.alliances.actions import create_alliance
        from maillage.organizations.actions import create_organization
        from maillage.workspaces.models import Workspace
        from tests.conftest import make_user

        org = create_organization(data={"kind": "association", "name": "Asso", "rna": "W691000009", "commune": "69266"})
        partner = create_organization(data={"kind": "company", "name": "Société", "siren": "732829320"})
        cls.workspace = Workspace.objects.create(name="E", organization=org)
        cls.user = make_user("bulk@exchange.test")
        cls.alliance = create_alliance(
            workspace=cls.workspace,
            user=cls.user,
            name="A",
            forms=["mecenat_financier"],
            partners=[(partner, "funder", "")],
        )

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(inputs)
    @example(  # always tried: a valid row whose texts hold what COPY's text format escapes
        {
            "kind": "money",
            "description": "Bois\\brut\tlot 2\nlivré\r le 3",
            "value": "100",
            "valuation_method": "",
            "status": "received",
            "received_on": date(2024, 3, 1),
            "promised_on": None,
            "hours": None,
            "hourly_rate": None,
            "evidence": "C:\\factures\\n°12\t(copie)\n",
        }
    )
    @example(
        {
            **dict.fromkeys(["received_on", "promised_on", "hours", "hourly_rate"]),
            "kind": "in_kind",
            "description": "\\N",
            "value": "12,5",
            "valuation_method": "",
            "status": "promised",
            "evidence": "\\N",
        }
    )
    def test_same_rows_and_same_errors(self, values):
        alliance = type(self.alliance).objects.prefetch_related("parties").get(pk=self.alliance.pk)
        giver, receiver = sorted(alliance.parties.all(), key=lambda p: p.workspace_id is None, reverse=True)
        args = {"alliance": alliance, "giver": giver, "receiver": receiver, **values}
        action_error = bulk_error = None
        try:
            made = record_contribution(workspace=self.workspace, user=self.user, **args)
        except ValidationError as exc:
            action_error = exc.message_dict
        try:
            row = clean_contribution(**args).fields
        except ValidationError as exc:
            bulk_error = exc.message_dict
        assert bulk_error == action_error
        assert list(bulk_error or {}) == list(action_error or {})  # same fields, in the same order
        if action_error:
            return
        assert write_contributions([row], workspace=self.workspace, user=self.user) == 1
        fields = lambda obj: {f: getattr(obj, f) for f in FIELDS}  # noqa: E731
        assert fields(Contribution.objects.latest("pk")) == fields(Contribution.objects.get(pk=made.pk))
        assert made.giver_kind == giver.organization.kind != ""


# Through the importer: a spreadsheet row breaking a rule of the domain gets, in the report, the very message
# record_contribution gives for the same input (one function checks both).
DOMAIN_CASES = [
    # (cells: giver, receiver, nature, description, montant, statut, reçue le), record_contribution's arguments
    (
        ["732829320", "732829320", "Don financier", "Don", "10", "promise", ""],
        {"giver": "company", "receiver": "company", "kind": "money", "description": "Don", "value": "10"},
    ),
    (
        ["732829320", "Asso", "Don financier", "Don", "10", "reçue", "01/01/2099"],
        {"kind": "money", "description": "Don", "value": "10", "status": "received", "received_on": date(2099, 1, 1)},
    ),
    (
        ["732829320", "Asso", "Don financier", "x" * 501, "10", "promise", ""],
        {"kind": "money", "description": "x" * 501, "value": "10"},
    ),
    (
        ["732829320", "Asso", "Don financier", "Don", "0", "promise", ""],
        {"kind": "money", "description": "Don", "value": "0"},
    ),
    (
        ["732829320", "Asso", "Bénévolat", "Heures", "", "promise", ""],
        {"kind": "volunteering", "description": "Heures"},
    ),
    (
        ["732829320", "Asso", "Don financier", "Don", "10", "reçue", ""],
        {"kind": "money", "description": "Don", "value": "10", "status": "received"},
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("cells", "arguments"), DOMAIN_CASES)
def test_the_importer_reports_the_messages_of_record_contribution(workspace_a, owner, alliance, cells, arguments):
    from maillage.exchange import runner
    from maillage.exchange.jobs import create_job
    from tests.exchange.helpers import CONTRIBUTION_HEADERS, csv_bytes

    parties = {p.organization.name: p for p in alliance.parties.select_related("organization")}
    company = next(p for p in parties.values() if p.organization.siren == "732829320")
    own = next(p for p in parties.values() if p.workspace_id == workspace_a.pk)
    cells = [own.organization.name if c == "Asso" else c for c in cells]
    rows = [CONTRIBUTION_HEADERS, ["Potager solidaire", *cells]]
    job = create_job(
        workspace=workspace_a, user=owner, entity="contribution", filename="f.csv", content=csv_bytes(rows)
    )
    runner.validate(job)
    job.refresh_from_db()
    reported = sorted(r[3] for r in job.report)
    args = {"giver": company, "receiver": own, **arguments}
    args["giver"] = company if args["giver"] in (company, "company") else own
    args["receiver"] = company if args["receiver"] == "company" else own
    with pytest.raises(ValidationError) as refused:
        record_contribution(alliance=alliance, workspace=workspace_a, user=owner, **args)
    assert reported == sorted(refused.value.messages)
    assert Contribution.objects.count() == 0
