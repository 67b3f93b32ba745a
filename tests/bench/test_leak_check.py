"""The bench's leak check looks at the article body, not at text every page shares."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from tests.factories import ArticleFactory, PlanFactory, SubscriptionFactory, UserFactory

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))  # run.py imports its sibling report.py
_spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run)

SECRET = "RAHASIA-PARAGRAF-EMPAT"  # the factory body's last paragraph


@pytest.mark.django_db
def test_the_secret_is_the_bodys_last_paragraph_and_only_the_subscriber_has_it(client):
    article = ArticleFactory(access_level="premium")
    user = UserFactory()
    SubscriptionFactory(user=user, plan=PlanFactory(code="premium"))
    anonymous = client.get(article.get_absolute_url()).content
    client.force_login(user)
    entitled = client.get(article.get_absolute_url()).content
    paragraphs = re.findall(rb"<p>(.*?)</p>", run.article_body(entitled))
    assert SECRET.encode() in paragraphs[-1]
    assert paragraphs[-1] not in anonymous
    # The whole page's last bare paragraph is shared by every page: not a secret.
    assert re.findall(rb"<p>(.*?)</p>", entitled)[-1] in anonymous
