"""Generated payloads posted to create an alliance and a contribution: never a server error."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.alliances.api.conftest import party

pytestmark = pytest.mark.django_db

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=60),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)
amounts = (
    st.decimals(allow_nan=False, allow_infinity=False).map(str)
    | st.integers(min_value=-(10**15), max_value=10**15)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["1e400", "-0", "0.001", "999999999.999", "12,5", "NaN", "Infinity", ""])
    | json_values
)
dates = (
    st.dates().map(lambda d: d.isoformat())
    | st.sampled_from(["2026-02-30", "0001-01-01", "9999-12-31", "2026-13-01", "demain"])
    | json_values
)
ids = st.integers(min_value=-5, max_value=2**64) | st.sampled_from(["PARTY_A", "PARTY_B", "PARTY_C"]) | json_values


def alliance_payloads(org_ids):
    return st.fixed_dictionaries(
        {},
        optional={
            "name": st.text(max_size=220) | json_values,
            "purpose": st.text(max_size=100) | json_values,
            "forms": st.lists(st.sampled_from(["mecenat_financier", "innovation_sociale", "troc", ""]), max_size=4)
            | json_values,
            "own_role": st.sampled_from(["lead", "partner", "chef", ""]) | json_values,
            "partners": st.lists(
                st.fixed_dictionaries(
                    {"organization_id": st.sampled_from(org_ids) | ids},
                    optional={"role": st.sampled_from(["partner", "funder", "x"]), "commitment": st.text(max_size=40)},
                )
                | json_values,
                max_size=3,
            )
            | json_values,
            "territory_level": st.sampled_from(["commune", "epci", "departement", "region", "pays", ""]) | json_values,
            "territory_code": st.sampled_from(["69123", "200046977", "2A", "84", "00000", ""]) | st.text(max_size=10),
            "starts_on": dates,
            "ends_on": dates,
        },
    )


def skills_lines():
    return st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "employee_name": st.text(max_size=20) | json_values,
                "month": dates,
                "hours": amounts,
                "monthly_cost": amounts,
                "monthly_hours": amounts,
            },
        )
        | json_values,
        max_size=3,
    )


contribution_payloads = st.fixed_dictionaries(
    {},
    optional={
        "giver_party_id": ids,
        "receiver_party_id": ids,
        "kind": st.sampled_from(["money", "in_kind", "skills", "service", "volunteering", "troc"]) | json_values,
        "description": st.text(max_size=80) | json_values,
        "value": amounts,
        "valuation_method": st.sampled_from(["", "nominal", "cost_price", "salary_cost", "x"]) | json_values,
        "status": st.sampled_from(["promised", "received", "perdu"]) | json_values,
        "promised_on": dates,
        "received_on": dates,
        "hours": amounts,
        "hourly_rate": amounts,
        "signed_timesheet": st.booleans() | json_values,
        "skills_lines": skills_lines() | json_values,
        "counterparts": st.lists(
            st.fixed_dictionaries({"description": st.text(max_size=20), "value": amounts}) | json_values, max_size=60
        )
        | json_values,
    },
)

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(data=st.data())
def test_generated_alliances_never_cause_a_server_error(member_api, org_b, company, data):
    payload = data.draw(alliance_payloads([org_b.pk, company.pk]) | json_values)
    response = member_api.post("/api/v1/alliances", json.dumps(payload), content_type="application/json")
    assert response.status_code in {201, 400, 422}, response.content
    assert response.status_code == 201 or "detail" in response.json()


@SETTINGS
@given(payload=contribution_payloads | json_values)
def test_generated_contributions_never_cause_a_server_error(member_api, shared, org_a, org_b, company, payload):
    names = {
        "PARTY_A": party(shared, org_a).pk,
        "PARTY_B": party(shared, org_b).pk,
        "PARTY_C": party(shared, company).pk,
    }
    if isinstance(payload, dict):
        for key in ("giver_party_id", "receiver_party_id"):
            if isinstance(payload.get(key), str) and payload[key] in names:
                payload[key] = names[payload[key]]
    response = member_api.post(
        f"/api/v1/alliances/{shared.pk}/contributions", json.dumps(payload), content_type="application/json"
    )
    assert response.status_code in {201, 400, 422}, response.content
    assert response.status_code == 201 or "detail" in response.json()
