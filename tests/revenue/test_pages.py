"""The desk's pages as staff use them: figures on the page, charts with their
text alternative, CSV exports, bad query parameters, languages, query counts."""

import csv
import io

import pytest

from core.roles import SUBSCRIPTION_STAFF
from tests.factories import UserFactory

from .test_access import PAGES

pytestmark = pytest.mark.django_db

JUNE = "start=2026-06-01&end=2026-06-15"


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(role=SUBSCRIPTION_STAFF))
    return client


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_overview_shows_the_figures_in_indonesian(staff, business):
    # At the range's end (Jun 16 00:00) MRR is the hand-computed 339,167 (see
    # test_metrics): C is still in its trial.
    page = staff.get(f"/admin/revenue/?{JUNE}").content.decode()
    assert "Rp 339.167" in page
    assert "Rp 4.070.004" in page  # ARR
    assert "20,0 % (1/5)" in page  # churn
    assert "Rp 155.000" in page  # collected
    assert "Cara angka-angka ini dihitung" in page


def test_the_desk_speaks_english_under_en(staff, business):
    # The admin is Indonesian at /admin/ and English at /en/admin/.
    page = staff.get(f"/en/admin/revenue/?{JUNE}").content.decode()
    assert "How these figures are counted" in page
    assert "Rp 339,167" in page
    assert 'href="/en/admin/revenue/subscribers/"' in page
    csv_export = staff.get(f"/en/admin/revenue/subscribers/?{JUNE}&format=csv&table=plans")
    assert rows_of(csv_export)[1] == ["Ad-free", "monthly", "1", "1", "1", "3"]


def test_charts_are_inline_svg_with_a_text_alternative_and_a_table(staff, business):
    page = staff.get(f"/admin/revenue/subscribers/?{JUNE}").content.decode()
    assert '<svg role="img" aria-labelledby="movements-t movements-d"' in page
    assert '<title id="movements-t">' in page
    assert "<script" not in page.split('id="content"')[-1]
    assert 'id="table-movements"' in page


def test_csv_export_of_a_table(staff, business):
    response = staff.get(f"/admin/revenue/subscribers/?{JUNE}&format=csv&table=movements")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="revenue-subscribers-movements-2026-06-01-2026-06-15.csv"'
    )
    rows = rows_of(response)
    assert rows[0] == ["starts", "new", "reactivated", "churned", "net"]
    assert rows[1] == ["2026-06-01", "2", "0", "0", "2"]
    assert rows[5] == ["2026-06-05", "0", "0", "1", "-1"]
    assert len(rows) == 16


def test_csv_numbers_are_unformatted(staff, business):
    rows = rows_of(staff.get(f"/admin/revenue/?{JUNE}&format=csv"))
    assert rows[0] == ["month", "measured_at", "mrr_idr", "arr_idr"]
    assert rows[-1] == ["2026-06", "2026-06-16T00:00:00+07:00", "339167", "4070004"]
    plans = rows_of(staff.get(f"/admin/revenue/subscribers/?{JUNE}&format=csv&table=plans"))
    assert plans[1] == ["Ad-free", "bulanan", "1", "1", "1", "3"]


def test_csv_keeps_a_formula_looking_title_as_text(staff, business):
    from analytics.models import Attribution
    from tests.factories import ArticleFactory

    article = ArticleFactory(headline="=HYPERLINK(1)")
    Attribution.objects.create(
        subscription=business.subs["I"], article=article, model="last_touch", credited_idr=1
    )
    rows = rows_of(staff.get(f"/admin/revenue/articles/?{JUNE}&format=csv&table=articles"))
    assert rows[1][1] == "'=HYPERLINK(1)"


@pytest.mark.parametrize("url", PAGES)
def test_every_table_of_an_empty_database_exports(staff, url):
    page = staff.get(url)
    assert page.status_code == 200
    for name in set(__import__("re").findall(r'id="table-([a-z_]+)"', page.content.decode())):
        response = staff.get(f"{url}?format=csv&table={name}")
        assert response.status_code == 200, name
        assert response["Content-Type"] == "text/csv; charset=utf-8"


@pytest.mark.parametrize(
    ("url", "query", "reason"),
    [
        ("/admin/revenue/", "start=2026-13-01", "YYYY-MM-DD"),
        ("/admin/revenue/", "end=kemarin", "YYYY-MM-DD"),
        ("/admin/revenue/", "start=0001-01-01", "2000-01-01"),
        ("/admin/revenue/", "start=2026-06-15&end=2026-06-01", "Tanggal awal"),
        ("/admin/revenue/", "start=2024-01-01&end=2026-06-01", "366"),
        ("/admin/revenue/", "format=xlsx", "format"),
        ("/admin/revenue/", "format=csv&table=nope", "table"),
        ("/admin/revenue/subscribers/", "grain=month", "grain"),
        ("/admin/revenue/articles/", "model=linear", "model"),
        ("/admin/revenue/cohorts/", "months=0", "months"),
        ("/admin/revenue/cohorts/", "months=dua", "months"),
        ("/admin/revenue/timeline/", "start=2026-02-30", "YYYY-MM-DD"),
    ],
)
def test_bad_query_parameters_get_a_400_with_the_reason(staff, url, query, reason):
    response = staff.get(f"{url}?{query}")
    assert response.status_code == 400
    assert reason in response.content.decode()


# Every admin page asks 4: the user, their and their groups' permissions, and
# the reader-access context processor. The rest is the page's own figures, a
# query each whatever the data (no query per row): overview 7 (MRR by month,
# paying readers, churn 2, trials 2, money collected), subscribers 4 (plans;
# new, reactivated, churned), cohorts 1, funnel 3, articles 3, what-if 3 at
# most (the rules in force unless already cached, the replay, the observed
# funnel), timeline 2.
# Without snapshots (as here: beat has not run) a page computes live, after
# one query for the snapshots it would read (revenue.snapshots).
QUERIES = {
    "/admin/revenue/": 12,
    "/admin/revenue/subscribers/": 9,
    "/admin/revenue/cohorts/": 6,
    "/admin/revenue/funnel/": 7,
    "/admin/revenue/articles/": 7,
    "/admin/revenue/whatif/": 7,
    "/admin/revenue/timeline/": 6,
}


def _more_business(business) -> None:
    """Twenty more readers with subscriptions, payments, credits and reads."""
    import uuid

    from analytics.funnel import recount_totals
    from analytics.models import Attribution, FunnelDaily
    from paywall.models import Meter, MeterRead
    from subscriptions.models import Payment, Subscription
    from tests.factories import ArticleFactory

    from .conftest import at

    article = ArticleFactory()
    for n in range(20):
        sub = Subscription.objects.create(
            user=UserFactory(),
            plan=business.premium,
            created_at=at(6, 1 + n % 14),
            current_period_start=at(6, 1 + n % 14),
            current_period_end=at(7, 1),
            status="expired" if n % 3 else "active",
        )
        Payment.objects.create(
            user=sub.user, subscription=sub, amount=65_000, provider_payment_id=f"more{n}"
        )
        Attribution.objects.create(subscription=sub, article=article, model="last_touch")
        meter = Meter.objects.create(token=uuid.uuid4())
        MeterRead.objects.create(meter=meter, article=article, period=at(6, 1).date())
        FunnelDaily.objects.create(day=at(6, 1 + n % 14).date(), kind="gate_impression", events=n)
    recount_totals(FunnelDaily.objects.values_list("day", flat=True))


@pytest.mark.parametrize("url", PAGES)
def test_queries_per_page_are_bounded_and_do_not_grow_with_the_data(staff, business, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"{url}?{JUNE}" if "cohorts" not in url else url
    staff.get(url)  # the same cache state for both counts
    with CaptureQueriesContext(connection) as before:
        assert staff.get(url).status_code == 200
    _more_business(business)
    with CaptureQueriesContext(connection) as after:
        assert staff.get(url).status_code == 200
    assert len(after) == len(before) <= QUERIES[url.split("?")[0]]
