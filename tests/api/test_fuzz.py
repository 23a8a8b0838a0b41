"""A schema-driven fuzz of every API operation: whatever the input, never a server error (5xx).

Schemathesis generates requests from ``/api/v1/openapi.json`` (valid ones and invalid ones: wrong types, missing
fields, huge integers, odd strings…) and sends them through Django's test client, authenticated with an API token
of workspace A as its owner, in the access matrix's world (every area's objects exist). Integer path parameters
are drawn half of the time from the primary keys that exist, so that requests reach past the 404.

Bounded and deterministic for CI: Hypothesis is derandomised (the same examples on every run), ``MAX_EXAMPLES``
per operation and mode, and the whole test stops generating after ``BUDGET_SECONDS`` (it reports how many
requests it made). ``MAILLAGE_FUZZ_EXAMPLES`` and ``MAILLAGE_FUZZ_SECONDS`` raise them for a longer local run.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import traceback
from urllib.parse import urlencode

import pytest
from django.apps import apps
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from maillage.api.urls import api
from tests.conftest import api_client_for
from tests.test_access_matrix import world  # noqa: F401  (the matrix's world: every area's objects)

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.generation import GenerationMode  # noqa: E402

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = int(os.environ.get("MAILLAGE_FUZZ_EXAMPLES", "6"))
BUDGET_SECONDS = float(os.environ.get("MAILLAGE_FUZZ_SECONDS", "120"))


def existing_ids() -> list[int]:
    """A sample of the primary keys of the project's own tables (the world's objects)."""
    ids: set[int] = set()
    for model in apps.get_app_configs():
        if not model.name.startswith("maillage.") or model.label == "territories":
            continue
        for m in model.get_models():
            if m._meta.pk.get_internal_type() in {"AutoField", "BigAutoField"}:
                ids.update(m.objects.order_by("-pk").values_list("pk", flat=True)[:10])
    return sorted(ids)


def request_of(case) -> tuple[str, str, dict, object, str | None]:
    path = case.formatted_path
    query = {k: v for k, v in (case.query or {}).items() if v is not None}
    body = None if type(case.body).__name__ == "NotSet" else case.body
    return case.method.upper(), path, query, body, case.media_type


def prepared(method: str, path: str, query: dict, body, media_type: str | None) -> tuple[str, dict]:
    """The arguments of the test client's call: bytes bodies sent as they are, forms flattened to strings."""
    if query and method != "GET":
        path = f"{path}?{urlencode(query, doseq=True)}"
    if method == "GET":
        return path, {"data": query}
    if body is None:
        return path, {}
    if media_type == "multipart/form-data" and isinstance(body, dict):
        form = {str(k): (v if isinstance(v, str | bytes) else json.dumps(v)) for k, v in body.items() if v is not None}
        return path, {"data": {k: (v.decode("latin-1") if isinstance(v, bytes) else v) for k, v in form.items()}}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return path, {"data": raw, "content_type": media_type or "application/json"}


def test_no_api_operation_answers_a_server_error(world):  # noqa: F811
    owner = world["people"]["owner"]
    client = api_client_for(owner, world["a"])
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    ids = existing_ids()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50, "the schema lost its operations"
    failures: list[str] = []
    sent = 0
    started = time.monotonic()

    for operation in sorted(operations, key=lambda op: (op.path, op.method)):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if time.monotonic() - started > BUDGET_SECONDS:
                break
            strategy = operation.as_strategy(generation_mode=mode)

            @settings(
                max_examples=MAX_EXAMPLES,
                derandomize=True,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy, data=st.data())
            def probe(case, data):
                nonlocal sent
                if time.monotonic() - started > BUDGET_SECONDS:
                    return
                for name, value in list(case.path_parameters.items()):
                    if isinstance(value, int) and ids and data.draw(st.booleans()):
                        case.path_parameters[name] = data.draw(st.sampled_from(ids))
                method, path, query, body, media_type = request_of(case)
                url, kwargs = prepared(method, path, query, body, media_type)
                try:
                    response = getattr(client, method.lower())(url, **kwargs)
                except Exception:  # the test client re-raises what the view raised
                    failures.append(f"{method} {path} {query!r} {body!r:.300}: {traceback.format_exc(limit=-3)}")
                    return
                finally:
                    sent += 1
                if response.status_code >= 500:
                    failures.append(f"{method} {path} {query!r} {body!r:.300}: {response.status_code}")

            with contextlib.suppress(Unsatisfiable):  # nothing to make invalid: no parameter, no body
                probe()
    elapsed = time.monotonic() - started
    print(f"fuzz: {sent} requests over {len(operations)} operations in {elapsed:.0f} s")
    assert not failures, f"{len(failures)} server error(s):\n" + "\n".join(failures[:20])
