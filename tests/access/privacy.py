"""Access matrix of personal data (GDPR): the finder, export and erasure for the workspace's admins and owners
(B's owner works on B's own people, never A's: see tests/privacy/test_pages_and_api.py), the deletion of one's
own account for any logged-in user, the legal pages for everyone."""

from __future__ import annotations

from tests.access.common import LOGGED_IN, PUBLIC, expect

ADMINS = expect(viewer=403, member=403)
ADMINS_WRITE = expect(viewer=403, member=403, admin=302, owner=302, other_workspace=302)


def extend_world(world) -> None:
    pass


def web_matrix(w) -> dict:
    return {
        "privacy_person": ("get", {}, {"q": "Contact de A"}, ADMINS),
        "privacy_person_export": ("get", {}, {"q": "Contact de A"}, ADMINS),
        "privacy_person_erase": ("post", {}, {"q": "Personne inconnue", "confirm": "oui"}, ADMINS_WRITE),
        # GET only: the matrix must not delete the accounts it walks with.
        "account_delete": ("get", {}, {}, LOGGED_IN),
        "legal_notice": ("get", {}, {}, PUBLIC),
        "privacy_policy": ("get", {}, {}, PUBLIC),
        "cookies": ("get", {}, {}, PUBLIC),
    }


def _admins_api(ok: int) -> dict:
    return {
        "anonymous": 401,
        "revoked": 401,
        "unverified_account": 401,
        "join_requester": 401,
        "viewer": 403,
        "member": 403,
        "admin": ok,
        "owner": ok,
        "other_workspace": ok,
        "claimant": ok,
    }


def api_matrix(w) -> dict:
    return {
        # Without q: the role is checked first (403), then the French 422 says what to type.
        ("GET", "/api/v1/privacy/people"): (_admins_api(422), None, {}),
        ("GET", "/api/v1/privacy/export"): (_admins_api(422), None, {}),
        ("POST", "/api/v1/privacy/erase"): (_admins_api(200), "erase", {}),
    }


def body_for(kind):
    return {"erase": {"q": "Personne inconnue", "confirm": True}}[kind]
