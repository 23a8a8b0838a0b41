"""deploy/ stays in step with the code: every variable the settings read is in the environment template, the units
run the documented commands with that file, the proxy lets the largest accepted upload through."""

from __future__ import annotations

import re
from pathlib import Path

from maillage.exchange.readers import MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
SOURCES = [ROOT / "src/maillage/settings.py", ROOT / "src/maillage/gunicorn_conf.py"]
# Read by the settings but not for an operator: tests, or what production refuses.
NOT_FOR_OPERATORS = {"DEBUG", "AXES_ENABLED", "SQLITE_TEST_NAME", "WEB_BIND"}


def template() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "maillage.env").read_text().splitlines():
        match = re.match(r"#?([A-Z][A-Z0-9_]+)=(.*)", line)
        if match:
            values[match.group(1)] = match.group(2)
    return values


def test_every_variable_the_settings_read_is_in_the_environment_template():
    read = set()
    pattern = r'(?:os\.environ\.get|os\.environ\[|env_bool|env_int|env_list|_int)\(?\s*"([A-Z][A-Z0-9_]+)"'
    for source in SOURCES:
        read |= set(re.findall(pattern, source.read_text()))
    assert {"SECRET_KEY", "DATABASE_URL", "WEB_CONCURRENCY"} <= read  # the pattern still finds them
    missing = sorted(read - NOT_FOR_OPERATORS - set(template()))
    assert missing == [], f"variables absentes de deploy/maillage.env : {missing}"
    assert template()["MAILLAGE_ENV"] == "production"


def test_the_units_run_the_documented_commands_with_the_environment_file():
    units = {name: (DEPLOY / name).read_text() for name in ("maillage-web.service", "maillage-worker.service",
                                                            "maillage-backup.service")}  # fmt: skip
    for text in units.values():
        assert "EnvironmentFile=/etc/maillage/maillage.env" in text
        assert "User=maillage" in text
    assert "ExecStart=/srv/maillage/venv/bin/maillage serve 127.0.0.1:8000" in units["maillage-web.service"]
    assert "ExecStart=/srv/maillage/venv/bin/maillage worker" in units["maillage-worker.service"]
    assert "maillage backup /var/backups/maillage/" in units["maillage-backup.service"]
    timer = (DEPLOY / "maillage-backup.timer").read_text()
    assert "OnCalendar=" in timer and "Persistent=true" in timer
    writable = re.search(r"ReadWritePaths=(\S+)", units["maillage-web.service"]).group(1)
    for name in ("MAILLAGE_VAR_DIR", "MEDIA_ROOT", "STATIC_ROOT"):
        assert template()[name].startswith(writable)


def test_the_proxy_passes_the_scheme_serves_the_static_files_and_lets_the_largest_upload_through():
    nginx = (DEPLOY / "nginx/maillage.conf").read_text()
    size = re.search(r"client_max_body_size (\d+)m;", nginx).group(1)
    assert int(size) * 1024 * 1024 > MAX_FILE_BYTES
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in nginx
    assert f"alias {template()['STATIC_ROOT']}/;" in nginx
    assert "proxy_pass http://maillage;" in nginx and "server 127.0.0.1:8000" in nginx
