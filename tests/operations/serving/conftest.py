"""Helpers of the serving tests: a production server in a subprocess, a small HTTP client with cookies, a
migrated SQLite file with the demo data (made once per session)."""

from __future__ import annotations

import contextlib
import html
import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

DEMO_EMAIL = "demo@maillage.test"
DEMO_PASSWORD = "jardins-partages-2026"  # printed by `maillage demo` (README)


def skip_drill(reason: str) -> None:
    """Skip a drill whose tools are missing, or fail it on CI (``CI=true``), where the drills must run."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} ; CI=true : les exercices de panne ne peuvent pas être ignorés", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def maillage(*args: str, env: dict, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
    """Run the ``maillage`` command (this checkout's code) in a subprocess."""
    result = subprocess.run(
        [sys.executable, "-m", "maillage.cli", *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(f"maillage {' '.join(args)} a échoué :\n{result.stdout}\n{result.stderr}")
    return result


def base_env(**values: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update({"MAILLAGE_ENV": "development", "PYTHONUNBUFFERED": "1"})
    env.update(values)
    return env


def production_env(**values: str) -> dict:
    return base_env(
        MAILLAGE_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        WEB_CONCURRENCY="2",
        WEB_THREADS="2",
        WEB_ACCESS_LOG="",
        **values,
    )


@pytest.fixture(scope="session")
def demo_var_dir(tmp_path_factory) -> Path:
    """A SQLite file migrated, with the demo data, made once per session (~15 s)."""
    var = tmp_path_factory.mktemp("serving-var")
    env = base_env(MAILLAGE_VAR_DIR=str(var))
    maillage("migrate", "--noinput", env=env)
    maillage("demo", env=env)
    return var


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    """Shared by the servers of the session: the first `maillage serve` collects, the next ones find it done."""
    return tmp_path_factory.mktemp("serving-static")


@contextlib.contextmanager
def production_server(env: dict, *, startup_timeout: float = 240):
    """``maillage serve`` on a free loopback port; yields its base URL and stops it (SIGTERM) afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "maillage.cli", "serve", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    ready = threading.Event()

    def drain():
        for line in process.stdout:
            output.append(line)
            if "Booting worker" in line:
                ready.set()
        ready.set()  # the server stopped: do not wait any longer

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        if not ready.wait(startup_timeout) or process.poll() is not None:
            raise AssertionError("le serveur de production n'a pas démarré :\n" + "".join(output))
        yield f"http://127.0.0.1:{port}", output
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)


class Browser:
    """Enough of a browser for these tests: cookies, CSRF, and the proxy's ``X-Forwarded-Proto: https``."""

    def __init__(self, base: str, *, https: bool = True, timeout: float = 60):
        self.base = base
        self.host = urllib.parse.urlsplit(base).netloc
        self.https = https
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, data: dict | None = None, headers: dict | None = None):
        host, port = self.host.split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=self.timeout)
        sent = {"Host": self.host}
        if self.https:
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Origin"] = f"{'https' if self.https else 'http'}://{self.host}"
            sent["Referer"] = f"{sent['Origin']}{path}"
        sent.update(headers or {})
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        response.content = content
        response.text = content.decode("utf-8", "replace")
        return response

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, **kwargs):
        form = self.get(path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        token = html.unescape(match.group(1)) if match else self.cookies.get("csrftoken", "")
        return self.request("POST", path, data={"csrfmiddlewaretoken": token, **data}, **kwargs)

    def login(self, email: str, password: str):
        return self.post("/compte/connexion/", {"username": email, "password": password})
