"""E-mails leave after the commit, with subjects that cannot break a header.

An e-mail sent inside a transaction that later rolls back announces something that never happened (an invitation,
a reminder already marked as sent); ``send_after_commit`` queues it with ``transaction.on_commit``, so it leaves
only once the change is saved (at once when no transaction is open). Subjects are built from names typed by
people (alliance names, agreement titles): ``one_line`` collapses any whitespace, CR/LF included, so that Django
never raises ``BadHeaderError`` on them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.mail import EmailMessage, send_mail
from django.db import transaction

from maillage.core.hostile import one_line


def send_after_commit(
    *, subject: str, message: str, recipient_list: list[str], from_email: str | None = None, using: str | None = None
) -> None:
    """``send_mail`` once the current transaction commits (now when there is none); the subject made one line."""
    safe_subject = one_line(subject)
    recipients = list(recipient_list)

    def send() -> None:
        send_mail(subject=safe_subject, message=message, from_email=from_email, recipient_list=recipients)

    transaction.on_commit(send, using=using)


def message_after_commit(message: EmailMessage, then: Callable[[], None] | None = None) -> None:
    """Send a prepared ``EmailMessage`` (attachments…) after the commit, then run ``then`` (e.g. note the date)."""
    message.subject = one_line(str(message.subject))

    def send() -> None:
        message.send(fail_silently=False)
        if then is not None:
            then()

    transaction.on_commit(send)
