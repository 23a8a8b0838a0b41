"""Vocabulary of the access matrix, shared by the area modules in this package."""

from __future__ import annotations

ROLES = [
    "anonymous",
    "viewer",
    "member",
    "admin",
    "owner",
    "other_workspace",
    "revoked",
    # Decision 0008: an account whose e-mail is not proved, with no membership; the owner of an unverified workspace
    # claiming A's organisation; an account (no membership) whose request to join A waits.
    "unverified_account",
    "claimant",
    "join_requester",
]
LOGIN = "login"  # redirected to the login page
NOWS = "nows"  # redirected to the workspace list (no workspace to act for)


def expect(
    anonymous=LOGIN,
    viewer=200,
    member=200,
    admin=200,
    owner=200,
    other_workspace=200,
    revoked=NOWS,
    unverified_account=None,
    claimant=None,
    join_requester=None,
):
    """Expected answer per visitor of a workspace page. Defaults: any member of A may read it.

    The accounts without a workspace (unverified account, join requester) answer like the revoked member unless
    told; the claimant, owner of its own (unverified) workspace, like the owner of B unless told.
    """
    values = [anonymous, viewer, member, admin, owner, other_workspace, revoked]
    values += [
        revoked if unverified_account is None else unverified_account,
        other_workspace if claimant is None else claimant,
        revoked if join_requester is None else join_requester,
    ]
    return dict(zip(ROLES, values, strict=True))


PUBLIC = dict.fromkeys(ROLES, 200)
LOGGED_IN = expect(revoked=200)
# A page about an object of workspace A: B's member and the revoked member get 404 / no workspace.
A_READ = expect(other_workspace=404)
A_WRITE = expect(viewer=403, member=302, admin=302, owner=302, other_workspace=404)


def api_expect(
    viewer: int, member: int, *, anonymous: int = 401, other_workspace: int | None = None, claimant: int | None = None
) -> dict:
    """Expected API status per visitor. other_workspace defaults to the member's answer (its own rows); the
    claimant (token of its unverified workspace) to other_workspace's; accounts without a workspace have no token."""
    other = member if other_workspace is None else other_workspace
    no_token = 401 if anonymous == 401 else anonymous
    return {
        "unverified_account": no_token,
        "join_requester": no_token,
        "claimant": other if claimant is None else claimant,
        "anonymous": anonymous,
        "revoked": 401 if anonymous == 401 else anonymous,
        "viewer": viewer,
        "member": member,
        "admin": member,
        "owner": member,
        "other_workspace": member if other_workspace is None else other_workspace,
    }
