"""Bad input never breaks a page: each of these once answered 500.

Every refusal is a clean 4xx in the surface's own error shape (the API's JSON
error, the admin's 404 page or its list with a message) and changes nothing.
"""

import base64
import json

import pytest

from articles.models import Article
from core.roles import EDITOR
from tests.api.conftest import assert_error, auth, make_token
from tests.factories import ArticleFactory, UserFactory
from website.search import clean_query

pytestmark = pytest.mark.django_db

API = "/api/v1"


def cursor(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


# --- search ---------------------------------------------------------------------


def test_clean_query_drops_control_characters_and_keeps_the_words():
    assert clean_query("\x00") == ""
    assert clean_query("a\x00b") == "ab"
    assert clean_query("rupiah\tmenguat\n\x01\x7f\x9f") == "rupiah menguat"
    assert clean_query("harga\u200bcabai é") == "harga\u200bcabai é"  # format characters stay


@pytest.mark.parametrize("path", ["/search/", "/en/search/"])
@pytest.mark.parametrize("query", ["%00", "a%00b", "%00%01%1f", "rupiah%00"])
def test_reader_search_with_a_nul_is_a_page_not_a_server_error(client, path, query):
    ArticleFactory(headline="Rupiah menguat")

    response = client.get(f"{path}?q={query}")

    assert response.status_code == 200


@pytest.mark.parametrize("query", ["%00", "a%00b", "%00%00"])
def test_api_search_refuses_a_nul_in_the_error_shape(client, query):
    assert_error(client.get(f"{API}/search?q={query}"), 422, "invalid_input")


def test_api_search_ignores_other_control_characters(client):
    ArticleFactory(headline="Rupiah menguat")

    response = client.get(f"{API}/search?q=rup%01iah")

    assert response.status_code == 200
    assert [hit["article"]["headline"] for hit in response.json()["items"]] == ["Rupiah menguat"]


# --- API dates ---------------------------------------------------------------------

EDGE_MOMENTS = [
    "0001-01-01T00:00:00",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00-12:00",
    "0001-01-01",
    "9999-12-31T23:59:59",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31T23:59:59+14:00",
    "1899-12-31T23:59:59Z",
    "3000-01-01T00:00:00Z",
]


@pytest.mark.parametrize("param", ["published_since", "published_until"])
@pytest.mark.parametrize("moment", EDGE_MOMENTS)
def test_article_list_refuses_dates_outside_the_window(client, param, moment):
    ArticleFactory()

    response = client.get(f"{API}/articles", {param: moment})

    error = assert_error(response, 422, "invalid_input")
    assert error["details"][0]["loc"][-1] == param


def test_article_list_accepts_dates_inside_the_window(client):
    article = ArticleFactory()

    response = client.get(
        f"{API}/articles",
        {"published_since": "1900-01-01T00:00:00Z", "published_until": "2999-12-31T23:59:59"},
    )

    assert [item["id"] for item in response.json()["items"]] == [article.pk]


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+00:00"],
)
def test_a_cursor_naming_an_edge_date_is_refused_as_a_bad_cursor(client, moment):
    ArticleFactory()

    response = client.get(f"{API}/articles", {"cursor": cursor(moment, 5)})

    assert_error(response, 400, "invalid_cursor")


# --- unknown API paths --------------------------------------------------------------


@pytest.mark.parametrize("path", [f"{API}/", f"{API}/nope", f"{API}/articles/1/nope"])
def test_unknown_api_paths_answer_in_the_api_error_shape(client, path):
    assert_error(client.get(path), 404, "not_found")


def test_head_of_the_api_root_is_a_json_404_without_a_body(client):
    response = client.head(f"{API}/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.content == b""


# --- the admin ----------------------------------------------------------------------


@pytest.fixture
def editor_client(client):
    client.force_login(UserFactory(role=EDITOR))
    return client


@pytest.mark.parametrize("object_id", ["abc", "1.5", "%00", "%C2%B2", "-1", "99999999999999999999"])
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_a_malformed_admin_object_id_is_not_found(editor_client, object_id, view):
    ArticleFactory()

    response = editor_client.get(f"/admin/articles/article/{object_id}/{view}/")

    assert response.status_code == 404


def test_a_malformed_id_in_a_post_changes_nothing(editor_client):
    article = ArticleFactory(headline="Asli")

    response = editor_client.post("/admin/articles/article/1.5/change/", {"headline": "Lain"})

    assert response.status_code == 404
    article.refresh_from_db()
    assert article.headline == "Asli"
    assert Article.objects.count() == 1


@pytest.mark.parametrize(
    "query",
    ["a=1&b=99999999999999999999", "a=%C2%B2&b=1", "a=%00&b=1", "a=1", "a=-1&b=2", "a=x&b=y"],
)
@pytest.mark.usefixtures("english")  # the messages by their English text
def test_a_malformed_revision_pair_is_a_400_on_the_revisions_page(editor_client, query):
    article = ArticleFactory()

    response = editor_client.get(f"/admin/articles/article/{article.pk}/revisions/compare/?{query}")

    assert response.status_code == 400
    assert "Choose two revisions to compare." in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        "published_at__gte=0001-01-01",
        "published_at__gte=0001-01-01%2000:00:00%2B07:00",
        "published_at__lt=9999-12-31T23:59:59-12:00",
        "published_at__year=99999999999999999999",
        "published_at__year=1",
        "published_at__month=13",
        "published_at__range=0001-01-01,2024-01-01",
        "updated_at__date=0001-01-01",
        "q=%00",
        "headline=%00",
    ],
)
@pytest.mark.usefixtures("english")  # the messages by their English text
def test_an_impossible_list_filter_shows_the_list_without_it_and_an_error(editor_client, params):
    article = ArticleFactory(headline="Tetap terlihat")

    response = editor_client.get(f"/admin/articles/article/?{params}")

    assert response.status_code == 400
    html = response.content.decode()
    assert "Not applied:" in html
    assert article.headline in html


def test_a_sane_date_filter_still_filters(editor_client):
    ArticleFactory(headline="Tetap terlihat")

    response = editor_client.get("/admin/articles/article/?published_at__gte=2999-01-01")

    assert response.status_code == 200
    assert "Tetap terlihat" not in response.content.decode()


@pytest.mark.parametrize("moment", ["2024-06-20T14:05:00+23:59", "2024-06-20T14:05:00-15:00"])
def test_offsets_no_zone_has_are_refused_before_postgresql_sees_them(client, editor_client, moment):
    assert_error(client.get(f"{API}/articles", {"published_since": moment}), 422)
    response = editor_client.get("/admin/articles/article/", {"published_at__gte": moment})
    assert response.status_code == 400


def test_a_lone_surrogate_in_api_json_is_refused_and_stores_nothing(client):
    token = make_token(UserFactory(role=EDITOR), "read", "write")

    response = client.post(
        f"{API}/editor/articles",
        data='{"headline": "Judul \\ud800"}',
        content_type="application/json",
        **auth(token),
    )

    assert_error(response, 422, "invalid_input")
    assert not Article.objects.exists()
