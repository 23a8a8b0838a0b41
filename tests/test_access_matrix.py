"""Every page and API route against every kind of visitor.

The test enumerates the URL patterns and the API operations, and fails when one is missing from the matrix:
a new route cannot ship without saying who may use it. A is the workspace under test; "other_workspace" is an
owner of workspace B; "revoked" had a membership in A that was revoked.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from maillage.api.urls import api
from maillage.organizations.actions import add_contact, add_private_note
from maillage.workspaces.models import ApiToken, Invitation, Membership
from tests.conftest import api_client_for, client_for

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "viewer", "member", "admin", "owner", "other_workspace", "revoked"]
LOGIN = "login"  # redirected to the login page
NOWS = "nows"  # redirected to the workspace list (no workspace to act for)


def expect(anonymous=LOGIN, viewer=200, member=200, admin=200, owner=200, other_workspace=200, revoked=NOWS):
    return dict(zip(ROLES, [anonymous, viewer, member, admin, owner, other_workspace, revoked], strict=True))


PUBLIC = dict.fromkeys(ROLES, 200)
LOGGED_IN = expect(revoked=200)


@pytest.fixture
def world(people, workspace_a, workspace_b, org_a):
    owner = people["owner"]
    note = add_private_note(workspace=workspace_a, organization=org_a, text="Secret de A", author=owner)
    contact = add_contact(workspace=workspace_a, organization=org_a, name="Contact de A")
    invitation = Invitation.objects.create(
        workspace=workspace_a,
        email="new@a.test",
        role="member",
        invited_by=owner,
        expires_at="2099-01-01T00:00:00Z",
    )
    return {
        "people": people,
        "a": workspace_a,
        "b": workspace_b,
        "org": org_a,
        "note": note,
        "contact": contact,
        "invitation": invitation,
        "viewer_membership": Membership.objects.get(workspace=workspace_a, user=people["viewer"]),
    }


def web_matrix(w) -> dict[str, tuple[str, dict, dict, dict]]:
    """url name → (method, kwargs, data, expected status per role)."""
    own_token = lambda role: ApiToken.objects.filter(user=w["people"][role]).values_list("pk", flat=True).first()  # noqa: E731
    member_pk = w["viewer_membership"].pk
    return {
        "home": ("get", {}, {}, PUBLIC),
        "health": ("get", {}, {}, PUBLIC),
        "signup": (
            "get",
            {},
            {},
            expect(anonymous=200, viewer=302, member=302, admin=302, owner=302, other_workspace=302, revoked=302),
        ),
        "login": (
            "get",
            {},
            {},
            expect(anonymous=200, viewer=302, member=302, admin=302, owner=302, other_workspace=302, revoked=302),
        ),
        "logout": ("post", {}, {}, dict.fromkeys(ROLES, 302)),
        "workspace_list": ("get", {}, {}, LOGGED_IN),
        "workspace_create": ("get", {}, {}, LOGGED_IN),
        "workspace_switch": (
            "post",
            {"workspace_id": w["a"].pk},
            {},
            expect(viewer=302, member=302, admin=302, owner=302, other_workspace=404, revoked=404),
        ),
        "members": ("get", {}, {}, expect()),
        "invite": (
            "post",
            {},
            {"email": "x@a.test", "role": "member"},
            expect(viewer=403, member=403, admin=302, owner=302, other_workspace=302),
        ),
        "member_role": (
            "post",
            {"membership_id": member_pk},
            {"role": "member"},
            expect(viewer=403, member=403, admin=302, owner=302, other_workspace=404),
        ),
        "member_revoke": (
            "post",
            {"membership_id": member_pk},
            {},
            expect(viewer=403, member=403, admin=302, owner=302, other_workspace=404),
        ),
        "observatory_consent": (
            "post",
            {},
            {"contributes": "on"},
            expect(viewer=403, member=403, admin=302, owner=302, other_workspace=302),
        ),
        "api_tokens": ("get", {}, {}, expect()),
        "api_token_revoke": (
            "post",
            {"token_id": own_token},
            {},
            expect(viewer=302, member=302, admin=302, owner=302, other_workspace=302),
        ),
        "invitation_accept": ("get", {"token": w["invitation"].token}, {}, LOGGED_IN),
        "directory": ("get", {}, {"q": "jardins"}, LOGGED_IN),
        "organization_create": ("get", {}, {}, LOGGED_IN),
        "organization_detail": ("get", {"organization_id": w["org"].pk}, {}, LOGGED_IN),
        "organization_note": (
            "post",
            {"organization_id": w["org"].pk},
            {"text": "n"},
            expect(viewer=403, member=302, admin=302, owner=302, other_workspace=302),
        ),
        "organization_contact": (
            "post",
            {"organization_id": w["org"].pk},
            {"name": "c"},
            expect(viewer=403, member=302, admin=302, owner=302, other_workspace=302),
        ),
        "commune_options": ("get", {}, {"q": "lyo"}, LOGGED_IN),
        "organization_options": ("get", {}, {"q": "jard"}, LOGGED_IN),
    }


def all_url_names(resolver=None, namespace="") -> set[str]:
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "api" or entry.app_name == "api":
                continue
            names |= all_url_names(entry, entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}:{entry.name}" if namespace else entry.name)
    return names


def test_every_page_is_in_the_matrix(world):
    covered = {f"web:{name}" for name in web_matrix(world)}
    assert all_url_names() - covered == set(), "new pages must be added to the access matrix"


@pytest.mark.parametrize("role", ROLES)
def test_pages_answer_as_the_matrix_says(world, role):
    from django.urls import reverse

    user = world["people"][role]
    failures = []
    for name, (method, kwargs, data, expected) in web_matrix(world).items():
        kwargs = {k: (v(role if role != "anonymous" else "owner") if callable(v) else v) for k, v in kwargs.items()}
        if any(v is None for v in kwargs.values()):
            from maillage.workspaces.actions import create_api_token

            if user is None:
                kwargs = {"token_id": 999999}
            else:
                ws = world["b"] if role == "other_workspace" else world["a"]
                if role == "revoked":
                    kwargs = {"token_id": 999999}
                else:
                    kwargs = {"token_id": create_api_token(user=user, workspace=ws, name="t")[0].pk}
        client = client_for(user)
        response = getattr(client, method)(reverse(f"web:{name}", kwargs=kwargs), data)
        want = expected[role]
        got = response.status_code
        if want == LOGIN:
            ok = got == 302 and "/compte/connexion/" in response["Location"]
        elif want == NOWS:
            ok = got == 302 and response["Location"] == reverse("web:workspace_list")
        else:
            ok = got == want
        if not ok:
            failures.append(f"{name}: {got} (expected {want})")
    assert not failures, failures


API_MATRIX = {
    # (method, path template) → expected status for viewer / member (anonymous and revoked always 401)
    ("GET", "/api/v1/me"): (200, 200),
    ("GET", "/api/v1/workspace/members"): (200, 200),
    ("GET", "/api/v1/organizations"): (200, 200),
    ("POST", "/api/v1/organizations"): (403, 201),
    ("GET", "/api/v1/organizations/{organization_id}"): (200, 200),
    ("GET", "/api/v1/organizations/{organization_id}/notes"): (200, 200),
    ("POST", "/api/v1/organizations/{organization_id}/notes"): (403, 201),
    ("GET", "/api/v1/organizations/{organization_id}/contacts"): (200, 200),
    ("POST", "/api/v1/organizations/{organization_id}/contacts"): (403, 201),
    ("GET", "/api/v1/territories/regions"): (200, 200),
    ("GET", "/api/v1/territories/departements"): (200, 200),
    ("GET", "/api/v1/territories/epci/{siren}"): (200, 200),
    ("GET", "/api/v1/territories/communes"): (200, 200),
    ("GET", "/api/v1/territories/communes/{code}"): (200, 200),
}


def api_operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


def test_every_api_route_is_in_the_matrix():
    assert api_operations() - set(API_MATRIX) == set(), "new API routes must be added to the access matrix"


def api_body(path: str, counter=[0]) -> dict:  # noqa: B006
    counter[0] += 1
    if path.endswith("/notes"):
        return {"text": "une note"}
    if path.endswith("/contacts"):
        return {"name": "Une personne"}
    return {"kind": "company", "name": f"Entreprise {counter[0]}"}


@pytest.mark.parametrize("role", ROLES)
def test_api_answers_as_the_matrix_says(world, role):
    user = world["people"][role]
    workspace = world["b"] if role == "other_workspace" else world["a"]
    client = api_client_for(user, workspace)
    values = {"organization_id": world["org"].pk, "siren": "200046977", "code": "69123"}
    failures = []
    for (method, template), (viewer_status, member_status) in API_MATRIX.items():
        path = template.format(**values)
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, api_body(path), content_type="application/json")
        if role in {"anonymous", "revoked"}:
            want = 401
        elif role == "viewer":
            want = viewer_status
        else:
            want = member_status
        if response.status_code != want:
            failures.append(f"{method} {path}: {response.status_code} (expected {want}) {response.content[:200]!r}")
        assert response["Content-Type"].startswith("application/json")
    assert not failures, failures


def test_another_workspace_never_sees_private_rows(world):
    client = api_client_for(world["people"]["other_workspace"], world["b"])
    org = world["org"].pk
    assert client.get(f"/api/v1/organizations/{org}/notes").json() == []
    assert client.get(f"/api/v1/organizations/{org}/contacts").json() == []
    page = client_for(world["people"]["other_workspace"]).get(f"/annuaire/{org}/")
    assert page.status_code == 200
    assert "Secret de A" not in page.content.decode() and "Contact de A" not in page.content.decode()
    own = client_for(world["people"]["viewer"]).get(f"/annuaire/{org}/").content.decode()
    assert "Secret de A" in own and "Contact de A" in own
