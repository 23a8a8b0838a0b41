"""Access matrix of imports and exports: a finished import job of workspace A."""

from __future__ import annotations

from tests.access.common import A_READ, A_WRITE, api_expect, expect


def extend_world(world) -> None:
    from maillage.exchange import runner
    from maillage.exchange.jobs import create_job

    owner = world["people"]["owner"]
    content = "Organisation;Nom\r\nW691000001;Personne importée\r\n".encode()
    job = create_job(workspace=world["a"], user=owner, entity="contact", filename="c.csv", content=content)
    runner.validate(job)
    runner.run(job.pk)
    world["import_job"] = job
    # A second job that stays checked but not run: the target of "start".
    again = create_job(workspace=world["a"], user=owner, entity="contact", filename="c.csv", content=content)
    runner.validate(again)
    world["import_job_ready"] = again


def web_matrix(w) -> dict:
    job = w["import_job"].pk
    ready = w["import_job_ready"].pk
    member_write = expect(viewer=403, member=302, admin=302, owner=302, other_workspace=302)
    return {
        "exchange_home": ("get", {}, {}, expect()),
        "exchange_sample": ("get", {"name": "contributions-demo.csv"}, {}, expect()),
        "import_upload": ("post", {}, {"entity": "contact"}, member_write),
        "import_report": ("get", {"job_id": job}, {}, A_READ),
        "import_mapping": ("get", {"job_id": ready}, {}, expect(viewer=403, other_workspace=404)),
        "import_start": ("post", {"job_id": ready}, {}, A_WRITE),
        "import_progress": ("get", {"job_id": job}, {}, A_READ),
        "import_report_csv": ("get", {"job_id": job}, {}, A_READ),
        "import_undo": ("post", {"job_id": job}, {"confirm": "1"}, A_WRITE),
        "export_table": ("get", {"table": "contacts", "file_format": "xlsx"}, {}, expect()),
        "export_archive": ("get", {}, {}, expect()),
    }


def api_matrix(w) -> dict:
    job = w["import_job"].pk
    ready = {"job_id": w["import_job_ready"].pk}
    read = api_expect(200, 200)
    return {
        ("GET", "/api/v1/exchange/jobs"): (read, None, {}),
        ("GET", "/api/v1/exchange/jobs/{job_id}"): (api_expect(200, 200, other_workspace=404), None, {"job_id": job}),
        ("POST", "/api/v1/exchange/jobs/{job_id}/undo"): (
            api_expect(403, 200, other_workspace=404),
            {},
            {"job_id": job},
        ),
        ("GET", "/api/v1/exchange/export/{table}"): (read, None, {"table": "contributions"}),
        # The wizard through the API, on the checked job, in this order: a JSON body carries no file (a member
        # passes the checks of access and gets the 422 that asks for it); reading it again, choosing its columns
        # again (checked again), then starting it.
        ("POST", "/api/v1/exchange/jobs"): (api_expect(403, 422), {}, {}),
        ("GET", "/api/v1/exchange/jobs/{job_id}/reading"): (api_expect(200, 200, other_workspace=404), None, ready),
        ("PUT", "/api/v1/exchange/jobs/{job_id}/reading"): (api_expect(403, 200, other_workspace=404), {}, ready),
        ("PUT", "/api/v1/exchange/jobs/{job_id}/mapping"): (
            api_expect(403, 200, other_workspace=404),
            lambda world, role: {"mapping": dict(world["import_job_ready"].mapping)},
            ready,
        ),
        ("POST", "/api/v1/exchange/jobs/{job_id}/start"): (api_expect(403, 202, other_workspace=404), {}, ready),
    }


def body_for(kind):
    return kind
