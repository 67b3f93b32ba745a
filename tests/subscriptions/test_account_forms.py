"""Account forms refuse over-long input with a form error before anything is written.

A 10,000-character username used to reach ``authenticate()``, and django-axes
then stored it in a 255-character column: a 500 on PostgreSQL (SQLite does
not enforce lengths, so there it stored the lot).
"""

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django import forms
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.validators import MaxLengthValidator
from django.urls import resolve

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LONG = "x" * 10_000
User = get_user_model()


def _nothing_stored():
    assert not AccessAttempt.objects.exists()
    assert not AccessFailureLog.objects.exists()


def test_login_with_a_10000_character_username_is_a_form_error(client):
    response = client.post("/akun/masuk/", {"username": LONG, "password": "apa-saja"})
    assert response.status_code == 200
    assert 'id="id_username_error"' in response.content.decode()  # the field's error list
    assert "150" in response.content.decode()  # "at most 150 characters", in the page language
    _nothing_stored()
    assert "_auth_user_id" not in client.session


def test_login_with_a_long_username_and_long_password_stores_nothing(client):
    UserFactory(username="budi")
    response = client.post("/en/akun/masuk/", {"username": "budi" + LONG, "password": LONG})
    assert response.status_code == 200
    assert "at most 150 characters" in response.content.decode()
    _nothing_stored()


def test_the_admin_login_caps_the_username_too(client):
    response = client.post("/admin/login/", {"username": LONG, "password": "apa-saja"})
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    _nothing_stored()


def test_a_normal_failed_login_is_still_counted(client):
    response = client.post("/akun/masuk/", {"username": "budi", "password": "salah"})
    assert response.status_code == 200
    assert AccessAttempt.objects.get().username == "budi"


def test_signup_with_over_long_fields_is_a_form_error(client):
    long_email = f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 63}.{'e' * 40}.id"  # 300 chars, valid
    response = client.post(
        "/akun/daftar/",
        {
            "username": LONG,
            "email": long_email,
            "first_name": LONG,
            "password1": "sangat-rahasia-123",
            "password2": "sangat-rahasia-123",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("username", "email", "first_name"):
        assert f'id="id_{field}_error"' in html
    assert not User.objects.exists()


def test_password_reset_with_an_over_long_email_is_a_form_error(client):
    response = client.post("/akun/sandi/lupa/", {"email": f"{LONG}@contoh.id"})
    assert response.status_code == 200
    assert 'id="id_email_error"' in response.content.decode()
    assert mail.outbox == []


def _form_class(path: str):
    view = resolve(path).func
    kwargs = getattr(view, "view_initkwargs", {})
    if "authentication_form" in kwargs:
        return kwargs["authentication_form"]
    if hasattr(view, "view_class"):
        return kwargs.get("form_class") or view.view_class.form_class
    from subscriptions.forms import SignupForm  # the function view's form

    return SignupForm


@pytest.mark.parametrize("path", ["/akun/masuk/", "/akun/daftar/", "/akun/sandi/lupa/"])
def test_every_account_form_caps_its_fields_at_the_models_length(path):
    form = _form_class(path)()
    checked = 0
    for name, field in form.fields.items():
        if not isinstance(field, forms.CharField):
            continue
        columns = {f.name: f for f in User._meta.get_fields()}
        if name not in columns:  # no column of its own (passwords are stored hashed)
            continue
        column = columns[name]
        limit = column.max_length
        caps = [v.limit_value for v in field.validators if isinstance(v, MaxLengthValidator)]
        assert caps, f"{path} {name}: no length check"
        assert min(caps) <= limit, f"{path} {name}: {min(caps)} > column {limit}"
        checked += 1
    assert checked
