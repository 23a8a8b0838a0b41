"""Every page and API route against every kind of visitor.

The matrices live in ``tests/access/<area>.py`` (one module per area, each with ``extend_world``,
``web_matrix`` and ``api_matrix``). This test enumerates the URL patterns and the API operations, and fails when
one is missing: a new route cannot ship without saying who may use it. A is the workspace under test;
"other_workspace" is an owner of workspace B; "revoked" had a membership in A that was revoked; "unverified_account"
has not proved its e-mail; "claimant" owns an unverified workspace of A's own organisation; "join_requester" waits
for A's answer to its request to join (decision 0008).
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import tests.access
from maillage.api.urls import api
from maillage.organizations.actions import add_contact, add_private_note
from maillage.workspaces.models import Invitation, Membership
from tests.access.common import LOGIN, NOWS, ROLES
from tests.conftest import api_client_for, client_for

pytestmark = pytest.mark.django_db

AREAS = [
    importlib.import_module(f"tests.access.{m.name}")
    for m in pkgutil.iter_modules(tests.access.__path__)
    if m.name != "common"
]


def _claim_roles(people, workspace_a, org_a) -> None:
    """The visitors of decision 0008: an account whose e-mail is not proved; the owner of an unverified workspace
    claiming A's own organisation; an account whose request to join A waits."""
    from django.utils import timezone

    from maillage.workspaces.models import JoinRequest, User, Workspace
    from tests.conftest import make_user

    unverified = make_user("unverified@x.test")
    User.objects.filter(pk=unverified.pk).update(email_verified_at=None)
    unverified.refresh_from_db()
    people["unverified_account"] = unverified
    claimant = make_user("claimant@x.test")
    User.objects.filter(pk=claimant.pk).update(email_verified_at=timezone.now())
    claimed = Workspace.objects.create(name="Espace revendiqué", organization=org_a)  # unverified
    Membership.objects.create(workspace=claimed, user=claimant, role="owner")
    people["claimant"] = claimant
    requester = make_user("requester@x.test")
    User.objects.filter(pk=requester.pk).update(email_verified_at=timezone.now())
    JoinRequest.objects.create(workspace=workspace_a, user=requester, message="Je suis la trésorière")
    people["join_requester"] = requester


@pytest.fixture
def world(people, workspace_a, workspace_b, org_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # the signed PDF of the matrix's agreement, not in var/media
    _claim_roles(people, workspace_a, org_a)
    owner = people["owner"]
    world = {
        "people": people,
        "a": workspace_a,
        "b": workspace_b,
        "org": org_a,
        "note": add_private_note(workspace=workspace_a, organization=org_a, text="Secret de A", author=owner),
        "contact": add_contact(workspace=workspace_a, organization=org_a, name="Contact de A"),
        "invitation": Invitation.objects.create(
            workspace=workspace_a,
            email="new@a.test",
            role="member",
            invited_by=owner,
            expires_at="2099-01-01T00:00:00Z",
        ),
        "viewer_membership": Membership.objects.get(workspace=workspace_a, user=people["viewer"]),
        "claimed": Membership.objects.get(user=people["claimant"]).workspace,
    }
    for area in AREAS:
        area.extend_world(world)
    return world


def merged(name: str, world) -> dict:
    result: dict = {}
    for area in AREAS:
        entries = getattr(area, name)(world)
        overlap = set(result) & set(entries)
        assert not overlap, f"routes declared twice in the access matrix: {overlap}"
        result.update(entries)
    return result


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
    covered = {f"web:{name}" for name in merged("web_matrix", world)}
    assert all_url_names() - covered == set(), "new pages must be added to the access matrix (tests/access/)"


def resolve_kwargs(kwargs: dict, world, role: str) -> dict:
    return {k: (v(world, role) if callable(v) else v) for k, v in kwargs.items()}


@pytest.mark.parametrize("role", ROLES)
def test_pages_answer_as_the_matrix_says(world, role):
    user = world["people"][role]
    failures = []
    for name, (method, kwargs, data, expected) in merged("web_matrix", world).items():
        url = reverse(f"web:{name}", kwargs=resolve_kwargs(kwargs, world, role))
        data = data(world, role) if callable(data) else data
        response = getattr(client_for(user), method)(url, data)
        want, got = expected[role], response.status_code
        if want == LOGIN:
            ok = got == 302 and "/compte/connexion/" in response["Location"]
        elif want == NOWS:
            ok = got == 302 and response["Location"] == reverse("web:workspace_list")
        else:
            ok = got == want
        if not ok:
            failures.append(f"{name} {url}: {got} (expected {want})")
    assert not failures, failures


def api_operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


def test_every_api_route_is_in_the_matrix(world):
    assert api_operations() - set(merged("api_matrix", world)) == set(), "new API routes must be added to tests/access/"


@pytest.mark.parametrize("role", ROLES)
def test_api_answers_as_the_matrix_says(world, role):
    user = world["people"][role]
    workspace = {"other_workspace": world["b"], "claimant": world["claimed"]}.get(role, world["a"])
    if role in ("unverified_account", "join_requester"):
        workspace = None  # no membership, hence no token
    client = api_client_for(user, workspace)
    failures = []
    bodies = {}
    for area in AREAS:
        for key in area.api_matrix(world):
            bodies[key] = area
    for (method, template), (expected, body, values) in merged("api_matrix", world).items():
        values = {k: (v(world, role) if callable(v) else v) for k, v in values.items()}
        path = template.format(**values)
        payload = bodies[(method, template)].body_for(body) if body is not None else None
        if callable(payload):
            payload = payload(world, role)
        if method == "GET":
            response = client.get(path)
        else:
            response = getattr(client, method.lower())(path, payload, content_type="application/json")
        if response.status_code != expected[role]:
            failures.append(
                f"{method} {path}: {response.status_code} (expected {expected[role]}) {response.content[:200]!r}"
            )
        elif response.content and not response["Content-Type"].startswith(
            ("application/json", "text/csv", "application/pdf", "application/zip")
        ):
            failures.append(f"{method} {path}: unexpected content type {response['Content-Type']}")
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
