"""Hostile input gets a clear French 400/422, never a 500: every GET route, pages and API, on both databases.

NUL bytes (PostgreSQL refuses them in text: the 500s of 11 URLs, the public observatory among them) are refused
once, by ``core.hostile.HostileInputMiddleware``; out-of-range integers (``?page=9223372036854775807`` overflowed
the OFFSET), malformed multipart bodies and hostile archives each get their own test here.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

from maillage.api.urls import api
from tests.conftest import api_client_for, client_for, page_text
from tests.test_access_matrix import merged, resolve_kwargs, world  # noqa: F401

pytestmark = pytest.mark.django_db

HUGE = str(2**63 - 1)
# Query parameters the pages read (directory, alliances, receipts, observatory, matching, evaluation…).
PAGE_PARAMS = ["q", "page", "kind", "commune", "cause", "annee", "year", "budget", "niveau", "code", "form", "stage"]
PAGE_PARAMS += ["status", "indicateur", "type", "sort", "tri", "departement", "region", "territory", "period"]


def web_get_urls(world, role="owner") -> list[str]:  # noqa: F811
    urls = []
    for name, (method, kwargs, _data, expected) in merged("web_matrix", world).items():
        if method == "get" and expected[role] == 200:
            urls.append(reverse(f"web:{name}", kwargs=resolve_kwargs(kwargs, world, role)))
    return sorted(set(urls))


def api_get_operations(world) -> list[tuple[str, list[tuple[str, str]]]]:  # noqa: F811
    """(path, [(query parameter, type)]) of every GET operation, path parameters filled from the matrix."""
    schema = api.get_openapi_schema()
    values: dict[str, dict] = {}
    for (method, template), (_expected, _body, vals) in merged("api_matrix", world).items():
        if method == "GET":
            values[template] = {k: (v(world, "owner") if callable(v) else v) for k, v in vals.items()}
    out = []
    for template, operations in schema["paths"].items():
        if "get" not in operations or template not in values:
            continue
        params = [
            (p["name"], (p.get("schema") or {}).get("type", ""))
            for p in operations["get"].get("parameters", [])
            if p.get("in") == "query"
        ]
        out.append((template.format(**values[template]), params))
    return out


def test_nul_in_any_query_parameter_of_any_page_is_a_400(world):  # noqa: F811
    client = client_for(world["people"]["owner"])
    anonymous = Client()
    failures = []
    urls = web_get_urls(world)
    assert len(urls) > 40
    for url in urls:
        for param in PAGE_PARAMS:
            for who in (client, anonymous):
                response = who.get(url, {param: "a\x00b"})
                if response.status_code != 400:
                    failures.append(f"{url}?{param}=\\0: {response.status_code}")
    assert not failures, failures
    # The page says what is wrong and where, in French.
    response = anonymous.get("/observatoire/", {"cause": "\x00"})
    assert "Le paramètre « cause » de l'adresse contient un caractère nul" in page_text(response)
    assert response["Content-Security-Policy"]


def test_nul_in_any_query_parameter_of_any_api_operation_is_a_422_naming_it(world):  # noqa: F811
    client = api_client_for(world["people"]["owner"], world["a"])
    failures = []
    operations = api_get_operations(world)
    assert len(operations) > 30
    for path, params in operations:
        for name, _type in params or [("q", "string")]:
            response = client.get(path, {name: "\x00"})
            if response.status_code != 422 or name not in response.json()["detail"]:
                failures.append(f"{path}?{name}=\\0: {response.status_code}")
    assert not failures, failures


def test_nul_in_the_path_or_a_form_field_is_a_400(people):
    client = client_for(people["owner"])
    assert client.get("/annuaire/%00/").status_code == 400
    response = client.post(reverse("web:organization_create"), {"name": "Nul\x00le", "kind": "association"})
    assert response.status_code == 400
    assert "Le champ « name » contient un caractère nul" in page_text(response)


def test_nul_in_a_json_body_is_a_422_naming_the_field(people, workspace_a):
    client = api_client_for(people["owner"], workspace_a)
    response = client.post(
        "/api/v1/organizations",
        {"kind": "association", "name": "Nul\x00le", "commune": "69266"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"
    nested = client.post("/api/v1/alliances", {"forms": ["a\x00"], "name": "x"}, content_type="application/json")
    assert nested.status_code == 422 and nested.json()["errors"][0]["field"] == "forms.0"


def test_deeply_nested_json_is_a_400_not_a_recursion_error(people, workspace_a):
    client = api_client_for(people["owner"], workspace_a)
    for body in ("[" * 100_000 + "]" * 100_000, json.dumps({"name": [[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]] * 4})):
        response = client.post("/api/v1/alliances", body, content_type="application/json")
        assert response.status_code in {400, 422}, response.content[:200]


@pytest.mark.parametrize("value", [HUGE, str(2**64), "-1", "0", "abc", "1e9", "99999999999999999999999"])
def test_out_of_range_integers_in_every_api_get_operation_never_a_500(world, value):  # noqa: F811
    client = api_client_for(world["people"]["owner"], world["a"])
    client.raise_request_exception = False
    failures = []
    for path, params in api_get_operations(world):
        for name, kind in params:
            if kind in {"integer", ""}:
                response = client.get(path, {name: value})
                if response.status_code >= 500:
                    failures.append(f"{path}?{name}={value}: {response.status_code}")
    assert not failures, failures


def test_the_observatory_cells_refuse_an_absurd_page_in_french():
    client = Client()
    for value in (HUGE, "-1", "abc"):
        response = client.get("/api/v1/observatory/cells", {"page": value})
        assert response.status_code == 422, response.content
        assert "page" in response.json()["detail"]


@pytest.mark.parametrize("value", [HUGE, "-5", "abc", str(2**64)])
def test_out_of_range_page_and_year_on_every_page_never_a_500(world, value):  # noqa: F811
    client = client_for(world["people"]["owner"])
    client.raise_request_exception = False
    failures = []
    for url in web_get_urls(world):
        for param in ("page", "annee", "year"):
            response = client.get(url, {param: value})
            if response.status_code >= 500:
                failures.append(f"{url}?{param}={value}: {response.status_code}")
    assert not failures, failures


def test_a_multipart_body_without_boundary_is_a_400(people, workspace_a):
    page = client_for(people["owner"]).post(
        reverse("web:organization_create"), b"name=x", content_type="multipart/form-data"
    )
    assert page.status_code == 400 and "délimiteur" in page_text(page)
    api_response = api_client_for(people["owner"], workspace_a).post(
        "/api/v1/organizations", b"--x\r\n", content_type="multipart/form-data"
    )
    assert api_response.status_code == 400 and "délimiteur" in api_response.json()["detail"]


def test_a_form_sent_where_the_api_reads_json_is_a_400_in_french(people, workspace_a):
    """The fuzzer's find: a urlencoded or multipart form on an operation with a JSON body (the middleware reads it
    as a form, its raw bytes are gone) answered 500."""
    client = api_client_for(people["owner"], workspace_a)
    for body, content_type in (
        ("status=published", "application/x-www-form-urlencoded"),
        (
            b'--b\r\nContent-Disposition: form-data; name="status"\r\n\r\npublished\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
        ),
    ):
        response = client.post("/api/v1/alliances", body, content_type=content_type)
        assert response.status_code == 400, response.content[:300]
        assert "JSON" in response.json()["detail"]


def archive_bytes(data) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("maillage.json", data if isinstance(data, str) else json.dumps(data))
    return out.getvalue()


HOSTILE_ARCHIVES = {
    "entries that are not objects": {
        "format": "maillage-archive",
        "version": 1,
        "workspace": [],
        "organizations": ["a", 1, None],
        "alliances": "not a list",
        "contributions": [[1, 2]],
    },
    "deep nesting": '{"format": "maillage-archive", "version": 1, "organizations": '
    + "[" * 50_000
    + "]" * 50_000
    + "}",
    "moderate nesting in a field": {
        "format": "maillage-archive",
        "version": 1,
        "organizations": [{"ref": 1, "name": json.loads("[" * 200 + "]" * 200)}],
    },
    "NUL in a name": {"format": "maillage-archive", "version": 1, "organizations": [{"ref": 1, "name": "a\x00"}]},
}


@pytest.mark.parametrize("case", HOSTILE_ARCHIVES)
def test_hostile_archives_are_refused_in_french_never_a_500(people, workspace_a, case):
    from maillage.exchange.archive import FORMAT, VERSION

    data = HOSTILE_ARCHIVES[case]
    if isinstance(data, dict):
        data = {**data, "format": FORMAT, "version": VERSION}
    else:
        data = data.replace('"maillage-archive"', json.dumps(FORMAT)).replace('"version": 1', f'"version": {VERSION}')
    client = client_for(people["owner"])
    client.raise_request_exception = True
    upload = io.BytesIO(archive_bytes(data))
    upload.name = "archive.zip"
    response = client.post(reverse("web:import_upload"), {"entity": "archive", "file": upload}, follow=True)
    assert response.status_code == 200
    text = page_text(response)
    assert "archive" in text.lower()
    from maillage.exchange.models import ImportJob

    job = ImportJob.objects.filter(workspace=workspace_a).order_by("-pk").first()
    if job is not None:
        assert job.status in {"failed", "validated"}, (job.status, job.message)
        if job.status == "failed":
            assert job.message and "Traceback" not in job.message
        else:  # validated: the bad entries are reported, nothing is written yet
            assert job.report, "hostile entries must be reported"


def test_the_importer_agrees_single_line_names_refused_per_entry(people, workspace_a):
    from maillage.exchange.archive import FORMAT, VERSION
    from maillage.exchange.models import ImportJob

    data = {
        "format": FORMAT,
        "version": VERSION,
        "organizations": [{"ref": 1, "kind": "association", "name": "Deux\r\nlignes", "commune": "69266"}],
    }
    upload = io.BytesIO(archive_bytes(data))
    upload.name = "archive.zip"
    client_for(people["owner"]).post(reverse("web:import_upload"), {"entity": "archive", "file": upload})
    job = ImportJob.objects.filter(workspace=workspace_a).latest("pk")
    assert job.status == "validated"
    assert any("tient sur une seule ligne" in row[-1] for row in job.report), job.report
