"""Reader pages run no inline script: every page carries the CSP and obeys it.

The check crawls the site from the home page (bounded to 40 pages) as an
anonymous reader and as a premium subscriber, so pages added later by the
reader site are covered without editing this file.
"""

import pytest
from django.test import Client

from newsroom.middleware import CONTENT_SECURITY_POLICY

from .conftest import crawl, reader_start_pages
from .html_checks import inspect, off_site, script_violations, style_violations

pytestmark = pytest.mark.django_db


def _directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def test_the_policy_forbids_inline_and_foreign_script():
    directives = _directives(CONTENT_SECURITY_POLICY)
    script = directives.get("script-src", directives.get("default-src"))
    assert script == ["'self'"], script
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    for name, values in directives.items():
        assert "'unsafe-inline'" not in values, name
        assert "'unsafe-eval'" not in values, name
        assert not any(v.startswith(("http:", "https:", "*")) for v in values), name


def _crawl_and_check(client, site):
    pages, problems = 0, []
    for path, response in crawl(client, start=reader_start_pages(site)):
        assert response.status_code < 500, f"{path} answered {response.status_code}"
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        pages += 1
        if response.get("Content-Security-Policy") != CONTENT_SECURITY_POLICY:
            problems.append(f"{path}: CSP header is {response.get('Content-Security-Policy')!r}")
        html = response.content.decode()
        problems += [f"{path}: {item}" for item in script_violations(html)]
        blocked = style_violations(html)
        problems += [f"{path}: {item} (blocked by style-src 'self')" for item in blocked]
        for form in inspect(html).forms:
            if form["method"] == "post" and "csrfmiddlewaretoken" not in form["inputs"]:
                problems.append(f"{path}: POST form to {form['action']!r} has no CSRF token")
            if off_site(form["action"]):
                problems.append(f"{path}: form posts off the site to {form['action']!r}")
    return pages, problems


def test_anonymous_reader_pages_carry_the_csp_and_no_inline_script(site):
    pages, problems = _crawl_and_check(Client(), site)
    assert pages >= 8, "the crawl reached too few pages to mean anything"
    assert problems == []


def test_subscriber_pages_carry_the_csp_and_no_inline_script(site, premium_reader):
    client = Client()
    client.force_login(premium_reader)
    pages, problems = _crawl_and_check(client, site)
    assert pages >= 8
    assert problems == []


def test_the_inspector_finds_what_a_strict_csp_would_block():
    """The checks above can fail: the parser sees every kind of inline script."""
    html = """
      <script>alert(1)</script>
      <script type="module">import('/x.js')</script>
      <script type="application/ld+json">{"@type": "NewsArticle"}</script>
      <script src="/static/site.js"></script>
      <script src="https://cdn.example/lib.js"></script>
      <img src="x" onerror="alert(1)">
      <a href=" JaVa&#x09;script:alert(1)">x</a>
      <form action="javascript:alert(1)"></form>
    """
    found = script_violations(html)
    assert len(found) == 6, found
    assert not any("ld+json" in item or "/static/site.js" in item for item in found)
    assert style_violations('<p style="color:red"></p><style>p{}</style>') != []
