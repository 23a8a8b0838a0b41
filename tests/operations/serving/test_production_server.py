"""The production server: `maillage serve` with MAILLAGE_ENV=production runs gunicorn, collects the static files
(WhiteNoise, compressed, hashed names) and serves pages, static files and the API on a free loopback port."""

from __future__ import annotations

import re

from tests.operations.serving.conftest import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    Browser,
    maillage,
    production_env,
    production_server,
)


def test_gunicorn_serves_pages_static_files_and_the_api(demo_var_dir, static_root):
    env = production_env(MAILLAGE_VAR_DIR=str(demo_var_dir), STATIC_ROOT=str(static_root))
    with production_server(env) as (base, output):
        assert any("gunicorn sur 127.0.0.1" in line and "2 processus × 2 fils" in line for line in output)
        browser = Browser(base)

        home = browser.get("/")
        assert home.status == 200 and home.headers["Server"].startswith("gunicorn")
        stylesheet = re.search(r'href="(/static/web/maillage\.[0-9a-f]{12}\.css)"', home.text).group(1)

        css = browser.get(stylesheet, headers={"Accept-Encoding": "gzip"})
        assert css.status == 200 and css.headers["Content-Encoding"] == "gzip"
        assert "immutable" in css.headers["Cache-Control"]
        assert browser.get("/static/web/maillage.css").status == 200  # the unhashed name too (e-mails, old pages)

        assert browser.login(DEMO_EMAIL, DEMO_PASSWORD).status == 302
        dashboard = browser.get("/tableau-de-bord/")
        assert dashboard.status == 200 and "Les Jardins Partagés du Rhône" in dashboard.text
        assert browser.get("/annuaire/?q=imprimerie").status == 200

        tokens = browser.post("/espace/jetons/", {"name": "essai"})
        raw_key = re.search(r'<code class="token">([^<]+)</code>', tokens.text).group(1)
        api = browser.get("/api/v1/organizations?q=imprimerie", headers={"Authorization": f"Bearer {raw_key}"})
        assert api.status == 200 and b"Imprimerie Rhodanienne" in api.content
        assert browser.get("/api/v1/organizations", headers={"Authorization": "Bearer faux"}).status == 401

        missing = browser.get("/nulle-part/")
        assert missing.status == 404 and "Page introuvable" in missing.text
    assert (static_root / "staticfiles.json").is_file()


def test_a_server_without_collected_static_files_is_refused_with_the_command_to_run(tmp_path):
    env = production_env(MAILLAGE_VAR_DIR=str(tmp_path), STATIC_ROOT=str(tmp_path / "static"))
    refused = maillage("serve", "127.0.0.1:1", "--no-collectstatic", env=env, check=False)
    assert refused.returncode != 0
    assert "Fichiers statiques absents" in refused.stderr and "collectstatic" in refused.stderr

    import subprocess
    import sys

    wsgi = subprocess.run([sys.executable, "-c", "import maillage.wsgi"], env=env, capture_output=True, text=True)
    assert wsgi.returncode != 0
    assert "Fichiers statiques absents" in wsgi.stderr and "maillage collectstatic --noinput" in wsgi.stderr
