"""Signed links of the account: proof of the address at sign-up, and proof of a new address on a change.

A link carries the user's id and a fingerprint of the account's *address state* (its address and when that
address was proved), signed with the secret key and a salt per purpose, and timestamped. It is refused when
tampered with, when older than its validity, or as soon as the state it was made for has changed (the address
was proved, or changed, since): a link can never be replayed after an e-mail change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

PROOF_SALT = "maillage.workspaces.email-proof"
CHANGE_SALT = "maillage.workspaces.email-change"
# How long a link stays valid (said in the e-mails).
LINK_VALID_DAYS = 3


class LinkError(Exception):
    """A link that cannot be used. ``reason`` is one of: invalid, expired, other_account, stale."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LinkData:
    user_id: int
    state: str
    new_email: str = ""


def address_state(user) -> str:
    """A short fingerprint of the address and of its proof: changes whenever either changes."""
    verified = user.email_verified_at.isoformat() if user.email_verified_at else "-"
    return salted_hmac("maillage.workspaces.address-state", f"{user.pk}|{user.email}|{verified}").hexdigest()[:20]


def make_proof_token(user) -> str:
    return signing.dumps({"u": user.pk, "s": address_state(user)}, salt=PROOF_SALT)


def make_change_token(user, new_email: str) -> str:
    return signing.dumps({"u": user.pk, "s": address_state(user), "n": new_email}, salt=CHANGE_SALT)


def _read(token: str, salt: str) -> LinkData:
    if not token or len(token) > 500:
        raise LinkError("invalid")
    try:
        data = signing.loads(token, salt=salt, max_age=timedelta(days=LINK_VALID_DAYS))
    except signing.SignatureExpired as exc:
        raise LinkError("expired") from exc
    except signing.BadSignature as exc:
        raise LinkError("invalid") from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("s"), str):
        raise LinkError("invalid")
    return LinkData(user_id=data["u"], state=data["s"], new_email=str(data.get("n") or ""))


def read_token(token: str, *, salt: str, user) -> LinkData:
    """Check a link for ``user`` (the person logged in); raise ``LinkError`` saying why it cannot be used."""
    data = _read(token, salt)
    if data.user_id != user.pk:
        raise LinkError("other_account")
    if not constant_time_compare(data.state, address_state(user)):
        raise LinkError("stale")
    return data
