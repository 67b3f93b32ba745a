"""The runnable foundation: health, settings modes, logging, the real worker."""

import subprocess
import sys
import uuid

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection

from newsroom.models import ProcessHeartbeat
from newsroom.tasks import heartbeat
from tests.conftest import ROOT, wait_for

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_with_the_database_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert "broker" in body["checks"]


def test_healthz_is_503_with_a_reason_when_the_database_is_down(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["detail"].startswith("unreachable")


def test_every_response_carries_a_request_id(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    # A header that is not a plain id is replaced, never echoed.
    response = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")
    assert response["X-Request-ID"] != "<script>"
    assert len(response["X-Request-ID"]) == 32


def _run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "NEWSROOM_TESTING": "0",
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_refuses_to_start_without_a_real_secret_key():
    result = _run_django("import django; django.setup()", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_pass_check_deploy_with_no_warning():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "NEWSROOM_TESTING": "0",
            "DEBUG": "0",
            "SECRET_KEY": uuid.uuid4().hex * 2,
            "ALLOWED_HOSTS": "news.example.com",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_seed_demo_is_idempotent_and_creates_the_contracted_accounts(django_user_model):
    call_command("seed_demo", articles=60, business="small", verbosity=0)
    from articles.models import Article

    first = Article.objects.count()
    call_command("seed_demo", articles=60, business="small", verbosity=0)
    assert Article.objects.count() == first == 60
    assert Article.objects.filter(access_level="metered").count() >= 8
    assert Article.objects.filter(access_level="premium").count() >= 5
    for level in ("free", "registered"):
        assert Article.objects.filter(access_level=level).exists()
    for username in ("chief", "editor", "reporter", "subs", "reader", "adfree", "premium"):
        user = django_user_model.objects.get(username=username)
        assert user.check_password("newsroom-demo"), username
    assert django_user_model.objects.get(username="editor").has_perm("articles.publish_article")
    assert not django_user_model.objects.get(username="reporter").has_perm(
        "articles.publish_article"
    )


@pytest.mark.worker
def test_a_task_enqueued_here_runs_in_a_real_worker_process(celery_worker_process):
    name = f"probe-{uuid.uuid4().hex[:8]}"
    heartbeat.delay(name=name, detail="sent by the test process")
    beat = wait_for(lambda: ProcessHeartbeat.objects.filter(name=name).first(), timeout=30)
    assert beat.detail == "sent by the test process"
    assert "newsroom.tasks.heartbeat" in celery_worker_process.output()


def test_log_lines_carry_the_request_id_and_no_secrets():
    import logging

    from newsroom.logging import RequestIdFilter, request_id_var

    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "connect postgres://news:hunter2@db/news failed; password=hunter2 token: abc123",
        None,
        None,
    )
    token = request_id_var.set("req-42")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    assert record.request_id == "req-42"
    assert "hunter2" not in record.getMessage()
    assert "abc123" not in record.getMessage()
    assert "postgres://news:***@db/news" in record.getMessage()
