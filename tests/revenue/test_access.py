"""Who sees the revenue desk: subscription staff and the chief editor; other
staff get a 403, readers and signed-out visitors the admin's login page."""

import pytest

from core.roles import CHIEF_EDITOR, EDITOR, REPORTER, SUBSCRIPTION_STAFF
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin/revenue/",
    "/admin/revenue/subscribers/",
    "/admin/revenue/cohorts/",
    "/admin/revenue/funnel/",
    "/admin/revenue/articles/",
    "/admin/revenue/whatif/",
    "/admin/revenue/timeline/",
]


@pytest.mark.parametrize("role", [SUBSCRIPTION_STAFF, CHIEF_EDITOR])
@pytest.mark.parametrize("url", PAGES)
def test_subscription_staff_and_the_chief_editor_see_every_page(client, role, url):
    client.force_login(UserFactory(role=role))
    response = client.get(url)
    assert response.status_code == 200
    assert "revenue-nav" in response.content.decode()


@pytest.mark.parametrize("role", [REPORTER, EDITOR])
@pytest.mark.parametrize("url", PAGES)
def test_other_staff_get_403(client, role, url):
    client.force_login(UserFactory(role=role))
    assert client.get(url).status_code == 403
    assert client.get(url + "?format=csv").status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_a_reader_and_a_stranger_get_the_login_page(client, url):
    # As on every admin page (tests/security/test_access_boundaries.py).
    for who in (None, UserFactory()):
        if who is not None:
            client.force_login(who)
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
        assert client.get(url + "?format=csv").status_code == 302


@pytest.mark.parametrize("role", [SUBSCRIPTION_STAFF, CHIEF_EDITOR])
def test_the_admin_index_links_the_desk_for_its_roles(client, role):
    client.force_login(UserFactory(role=role))
    index = client.get("/admin/").content.decode()
    assert 'href="/admin/revenue/"' in index
    # The index entry shows the overview.
    entry = client.get("/admin/revenue/desk/")
    assert entry.status_code == 200
    assert 'aria-current="page">Ikhtisar<' in entry.content.decode()


@pytest.mark.parametrize("role", [REPORTER, EDITOR])
def test_the_admin_index_hides_the_desk_from_other_staff(client, role):
    client.force_login(UserFactory(role=role))
    assert "/admin/revenue/" not in client.get("/admin/").content.decode()
    assert client.get("/admin/revenue/desk/").status_code == 403


def test_the_desk_changes_nothing(client):
    client.force_login(UserFactory(role=SUBSCRIPTION_STAFF))
    assert client.post("/admin/revenue/").status_code == 405
