"""Shared fixtures: two workspaces (A and B) and a user for every role the access matrix names."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from maillage.alliances import totals as alliance_totals
from maillage.contributions import totals as contribution_totals
from maillage.core.roles import Role
from maillage.organizations.actions import create_organization
from maillage.workspaces.actions import create_api_token
from maillage.workspaces.models import Membership, User, Workspace

PASSWORD = "mot-de-passe-solide-42"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    """Tasks run when enqueued, in the test's thread and transaction (django-tasks' immediate backend). The tests
    of the queue itself (``tests/operations/``) put the database backend back and run real workers."""
    settings.TASKS = IMMEDIATE_TASKS


@pytest.fixture(autouse=True)
def _sums_kept_on_write(request):
    """After every test that used the database, the sums kept on write equal the sums recomputed from the rows.

    The dashboard reads the time and the resources from sums the actions keep up to date (``PartyTime``,
    ``ReceivedSum``); a write path that forgets them fails here, whichever test drove it (page, API, importer,
    CLI, generator).
    """
    database = next((name for name in ("transactional_db", "live_server", "db") if name in request.fixturenames), None)
    if database is None and request.node.get_closest_marker("django_db") is None:
        yield
        return
    if database:
        request.getfixturevalue(database)  # set up first, so torn down (rolled back, flushed) after this check
    yield
    assert alliance_totals.drift() == [], "temps investi tenu à jour ≠ somme des présences"
    assert contribution_totals.drift() == [], "sommes reçues tenues à jour ≠ somme des contributions"


@pytest.fixture
def concurrent_ok():
    """Skip a test that runs writers in threads on in-memory SQLite, which cannot run two writers."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Shared-cache in-memory SQLite answers "table is locked" at once instead of waiting. A file database
        # (SQLITE_TEST_NAME=…, as in production) runs these tests like PostgreSQL.
        pytest.skip("SQLite en mémoire : lancez avec SQLITE_TEST_NAME=/tmp/test.sqlite3 pour ce test concurrent")


def make_user(email: str, name: str = "", *, verified: bool = True) -> User:
    """A user whose address is proved, unless ``verified=False`` (an account that only signed up)."""
    return User.objects.create_user(
        email,
        PASSWORD,
        full_name=name or email.split("@")[0].title(),
        email_verified_at=timezone.now() if verified else None,
    )


def make_association(name: str, rna: str, commune: str = "69266") -> object:
    return create_organization(data={"kind": "association", "name": name, "rna": rna, "commune": commune})


@pytest.fixture
def org_a(db):
    return make_association("Les Jardins de l'Essai", "W691000001")


@pytest.fixture
def org_b(db):
    return make_association("Amicale des Bords de Saône", "W691000002", commune="69123")


@pytest.fixture
def workspace_a(org_a):
    """Verified (decision 0008): it acts for its organisation, as every workspace did before the claims."""
    return Workspace.objects.create(name="Espace A", organization=org_a, verified_at=timezone.now())


@pytest.fixture
def workspace_b(org_b):
    return Workspace.objects.create(name="Espace B", organization=org_b, verified_at=timezone.now())


@pytest.fixture
def people(workspace_a, workspace_b) -> dict[str, User | None]:
    """Every kind of visitor of the access matrix, A being the workspace under test."""
    users: dict[str, User | None] = {"anonymous": None}
    for role in (Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER):
        user = make_user(f"{role}@a.test")
        Membership.objects.create(workspace=workspace_a, user=user, role=role)
        users[role] = user
    outsider = make_user("member@b.test")
    Membership.objects.create(workspace=workspace_b, user=outsider, role=Role.OWNER)
    users["other_workspace"] = outsider
    revoked = make_user("revoked@a.test")
    Membership.objects.create(workspace=workspace_a, user=revoked, role=Role.MEMBER, revoked_at=timezone.now())
    users["revoked"] = revoked
    return users


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api_client_for(user: User | None, workspace: Workspace | None) -> Client:
    """A client whose every request carries the user's token for that workspace."""
    if user is None or workspace is None:
        return Client()
    if not Membership.objects.active().filter(user=user, workspace=workspace).exists():
        # A token minted while the membership was active, then the membership revoked.
        membership = Membership.objects.get(user=user, workspace=workspace)
        revoked_at = membership.revoked_at
        Membership.objects.filter(pk=membership.pk).update(revoked_at=None)
        _, raw = create_api_token(user=user, workspace=workspace, name="test")
        Membership.objects.filter(pk=membership.pk).update(revoked_at=revoked_at)
    else:
        _, raw = create_api_token(user=user, workspace=workspace, name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def page_text(response) -> str:
    """The page's HTML with entities decoded, so that assertions read like the screen (l'organisation)."""
    import html

    return html.unescape(response.content.decode())
