"""Access matrix of the audit journal: owners only (B's owner reads B's own journal, never A's)."""

from __future__ import annotations

from tests.access.common import expect

OWNERS = expect(viewer=403, member=403, admin=403)
API_OWNERS = {
    "anonymous": 401,
    "revoked": 401,
    "viewer": 403,
    "member": 403,
    "admin": 403,
    "owner": 200,
    "other_workspace": 200,
    # Decision 0008: the claimant owns its own (unverified) workspace and reads its journal; the accounts without a
    # workspace have no token.
    "claimant": 200,
    "unverified_account": 401,
    "join_requester": 401,
}


def extend_world(world) -> None:
    pass


def web_matrix(w) -> dict:
    return {
        "audit_journal": ("get", {}, {}, OWNERS),
        "audit_journal_export": ("get", {}, {}, OWNERS),
    }


def api_matrix(w) -> dict:
    return {
        ("GET", "/api/v1/audit/events"): (API_OWNERS, None, {}),
        ("GET", "/api/v1/audit/export"): (API_OWNERS, None, {}),
    }


def body_for(kind):
    return kind
