"""Daily: the matching digests (each subscription at most once per frequency, marked by ``last_sent_at``)."""

from __future__ import annotations

from collections import Counter

from django_tasks import task

from maillage.core.tasks import going_on


def send_all_digests(*, force: bool = False) -> dict[str, int]:
    """Each active subscription in turn; one that fails is logged and the others go on."""
    from maillage.matching.actions import send_digests
    from maillage.matching.models import AlertSubscription

    counts: Counter = Counter(sent=0, skipped=0)
    for pk in AlertSubscription.objects.filter(active=True).order_by("pk").values_list("pk", flat=True):
        with going_on(f"alerte de rapprochement {pk}"):
            counts.update(send_digests(force=force, subscriptions=AlertSubscription.objects.filter(pk=pk)))
    return dict(counts)


@task()
def matching_digest() -> dict[str, int]:
    return send_all_digests()
