"""Vocabulary of the access matrix, shared by the area modules in this package."""

from __future__ import annotations

ROLES = ["anonymous", "viewer", "member", "admin", "owner", "other_workspace", "revoked"]
LOGIN = "login"  # redirected to the login page
NOWS = "nows"  # redirected to the workspace list (no workspace to act for)


def expect(anonymous=LOGIN, viewer=200, member=200, admin=200, owner=200, other_workspace=200, revoked=NOWS):
    """Expected answer per visitor of a workspace page. Defaults: any member of A may read it."""
    return dict(zip(ROLES, [anonymous, viewer, member, admin, owner, other_workspace, revoked], strict=True))


PUBLIC = dict.fromkeys(ROLES, 200)
LOGGED_IN = expect(revoked=200)
# A page about an object of workspace A: B's member and the revoked member get 404 / no workspace.
A_READ = expect(other_workspace=404)
A_WRITE = expect(viewer=403, member=302, admin=302, owner=302, other_workspace=404)


def api_expect(viewer: int, member: int, *, anonymous: int = 401, other_workspace: int | None = None) -> dict:
    """Expected API status per visitor. other_workspace defaults to the member's answer (its own rows)."""
    return {
        "anonymous": anonymous,
        "revoked": 401 if anonymous == 401 else anonymous,
        "viewer": viewer,
        "member": member,
        "admin": member,
        "owner": member,
        "other_workspace": member if other_workspace is None else other_workspace,
    }
