"""Access matrix of the accounts: « Mon compte », proof of the address, change of address and password, reset,
cancelling an invitation. The matrix's unproved account (``unverified_account``) meets a bad link where the others
are sent back to « Mon compte »; its whole journey is walked in ``tests/workspaces/test_accounts.py``."""

from __future__ import annotations

from tests.access.common import LOGGED_IN, LOGIN, PUBLIC, expect


def extend_world(world) -> None:
    pass


def web_matrix(w) -> dict:
    logged_in_redirect = expect(viewer=302, member=302, admin=302, owner=302, other_workspace=302, revoked=302)
    bad_link = expect(viewer=400, member=400, admin=400, owner=400, other_workspace=400, revoked=400)
    return {
        "account": ("get", {}, {}, LOGGED_IN),
        "account_profile": ("post", {}, {"full_name": "Un Nom"}, logged_in_redirect),
        "email_verification": ("get", {}, {}, LOGGED_IN),
        # Already proved: sent back to « Mon compte »; not proved yet: the link is not a valid one.
        "email_verify": ("get", {"token": "pas-un-lien"}, {}, {**logged_in_redirect, "unverified_account": 400}),
        "email_change": ("post", {}, {"new_email": "", "password": ""}, bad_link),
        "email_change_confirm": ("get", {"token": "pas-un-lien"}, {}, bad_link),
        "password_change": ("get", {}, {}, LOGGED_IN),
        "password_reset": ("get", {}, {}, PUBLIC),
        "password_reset_done": ("get", {}, {}, PUBLIC),
        "password_reset_confirm": ("get", {"uidb64": "MQ", "token": "abc-def"}, {}, dict.fromkeys(PUBLIC, 400)),
        "password_reset_complete": ("get", {}, {}, PUBLIC),
        "invitation_cancel": (
            "post",
            {"invitation_id": w["invitation"].pk},
            {},
            expect(anonymous=LOGIN, viewer=403, member=403, admin=302, owner=302, other_workspace=404),
        ),
    }


def api_matrix(w) -> dict:
    return {}


def body_for(kind):
    return kind
