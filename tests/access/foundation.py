"""Access matrix of the foundation: accounts, workspaces, directory, territories."""

from __future__ import annotations

from maillage.workspaces.models import ApiToken
from tests.access.common import LOGGED_IN, PUBLIC, ROLES, api_expect, expect


def extend_world(world) -> None:
    from maillage.organizations.actions import create_organization

    # An organisation A's workspace added to the shared directory: only A corrects it (decision 0016).
    world["added_org"] = create_organization(
        data={"kind": "company", "name": "Entreprise ajoutée par A"}, workspace=world["a"]
    )


def own_token(world, role):
    """The id of an API token of the visitor (created on demand), or a missing id."""
    from maillage.workspaces.actions import create_api_token

    user = world["people"][role]
    if user is None or role in ("revoked", "unverified_account", "join_requester"):  # no membership, no token
        return 999999
    token = ApiToken.objects.filter(user=user).first()
    if token is None:
        workspace = {"other_workspace": world["b"], "claimant": world["claimed"]}.get(role, world["a"])
        token = create_api_token(user=user, workspace=workspace, name="t")[0]
    return token.pk


def web_matrix(w) -> dict:
    member_pk = w["viewer_membership"].pk
    anon_redirect = expect(
        anonymous=200, viewer=302, member=302, admin=302, owner=302, other_workspace=302, revoked=302
    )
    return {
        "home": ("get", {}, {}, PUBLIC),
        "health": ("get", {}, {}, PUBLIC),
        "signup": ("get", {}, {}, anon_redirect),
        "login": ("get", {}, {}, anon_redirect),
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
            # An unverified workspace does not feed the observatory (decision 0008).
            expect(viewer=403, member=403, admin=302, owner=302, other_workspace=302, claimant=403),
        ),
        "api_tokens": ("get", {}, {}, expect()),
        "api_token_revoke": (
            "post",
            {"token_id": own_token},
            {},
            expect(viewer=302, member=302, admin=302, owner=302, other_workspace=302),
        ),
        "invitation_accept": ("get", {"token": w["invitation"].token}, {}, LOGGED_IN),
        "organization_list": ("get", {}, {"q": "jardins"}, LOGGED_IN),
        "organization_create": ("get", {}, {}, LOGGED_IN),
        "organization_detail": ("get", {"organization_id": w["org"].pk}, {}, LOGGED_IN),
        # The shared directory is corrected by the workspace that added the entry only (decision 0016).
        "organization_correct": (
            "get",
            {"organization_id": w["added_org"].pk},
            {},
            expect(viewer=403, other_workspace=302),
        ),
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


def api_matrix(w) -> dict:
    """(method, path template) → (expected status per visitor, JSON body or None)."""
    org = w["org"].pk
    read, write = api_expect(200, 200), api_expect(403, 201)
    return {
        ("GET", "/api/v1/me"): (read, None, {}),
        ("GET", "/api/v1/workspace/members"): (read, None, {}),
        ("GET", "/api/v1/organizations"): (read, None, {}),
        ("POST", "/api/v1/organizations"): (write, "organization", {}),
        ("GET", "/api/v1/organizations/{organization_id}"): (read, None, {"organization_id": org}),
        ("GET", "/api/v1/organizations/{organization_id}/notes"): (read, None, {"organization_id": org}),
        ("PATCH", "/api/v1/organizations/{organization_id}"): (
            api_expect(403, 200, other_workspace=403),
            {"description": "Présentation corrigée"},
            {"organization_id": w["added_org"].pk},
        ),
        ("GET", "/api/v1/organizations/{organization_id}/corrections"): (
            read,
            None,
            {"organization_id": w["added_org"].pk},
        ),
        ("POST", "/api/v1/organizations/{organization_id}/notes"): (
            write,
            {"text": "une note"},
            {"organization_id": org},
        ),
        ("GET", "/api/v1/organizations/{organization_id}/contacts"): (read, None, {"organization_id": org}),
        ("POST", "/api/v1/organizations/{organization_id}/contacts"): (
            write,
            {"name": "Une personne"},
            {"organization_id": org},
        ),
        ("GET", "/api/v1/territories/regions"): (read, None, {}),
        ("GET", "/api/v1/territories/departements"): (read, None, {}),
        ("GET", "/api/v1/territories/epci/{siren}"): (read, None, {"siren": "200046977"}),
        ("GET", "/api/v1/territories/communes"): (read, None, {}),
        ("GET", "/api/v1/territories/communes/{code}"): (read, None, {"code": "69123"}),
    }


_counter = [0]


def body_for(kind):
    if kind == "organization":
        _counter[0] += 1
        return {"kind": "company", "name": f"Entreprise {_counter[0]}"}
    return kind
