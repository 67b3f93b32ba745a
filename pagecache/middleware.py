"""The page cache's fast path: a cached page served before the rest of the stack.

A cache hit in the view still pays for every middleware in front of it
(sessions, locale, CSRF, the user lookup, messages, axes, the meter cookie):
2-4 ms of CPU for a page the cache already holds. ``PageCacheHitMiddleware``
sits early in ``MIDDLEWARE`` (after the security headers and WhiteNoise) and
answers a GET for an article, home, section, topic, author or search page itself when
it can prove the view would serve the same cached bytes. It decides with the
same rules the view uses, imported, never copied:

1. the URL resolves to one of the cached pages (by URL name; the language
   comes from the URL: ``i18n_patterns`` with Indonesian unprefixed);
2. the reader's ``ReaderRights`` come from the cookies: anonymous (the meter
   id from ``paywall.meter.meter_key_from_cookie``, the crawler kind from
   ``paywall.crawlers.classify``), or signed in with a session (read from the
   cache: ``cached_db`` sessions) whose account record (``pagecache.readers``)
   is in the cache, active, and matches the session's auth hash, exactly as
   ``django.contrib.auth`` checks;
3. the page entry is valid for the reader's cache class, and, on an article,
   the article is live (``articles.liveness``), the path is its own, and the
   decision (``paywall.policy.decide`` under ``paywall.rules.current_rules``,
   with the entry's article facts and the reader's meter for a metered article
   they already read this period) names a variant the entry holds. The variant
   carries the rules version, so after a rule change it is a miss until the
   view renders the page under the new rules.
   A metered read that would be counted is never served here: the view counts it.
   A gated page served here is a funnel gate impression, as in the view
   (``paywall.funnel.record_gate``: one ``RPUSH``, no SQL).

Anything else (a miss, a forged meter cookie, a first metered read, a stale
account record, a wrong path that redirects) goes down the normal stack
unchanged. Per request that is one or two cache round trips (one more on an
article: the rules) and no SQL (an anonymous reader re-reading a metered
article: two small queries for the meter).

On the way out of the normal stack it also tidies the ``Vary`` header of
cached-page responses: the language is in the URL, so ``Accept-Language`` is
not needed, and a ``public`` page is the same for every anonymous reader, so
``Cookie`` is not either (a CDN must bypass its cache for requests that carry
the session cookie, as ``bench/nginx.conf.in`` does).
"""

import functools
import re
from importlib import import_module
from types import MappingProxyType

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.core.cache import cache
from django.core.exceptions import DisallowedHost, ValidationError
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse
from django.urls import Resolver404, get_resolver
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.crypto import constant_time_compare

from analytics import popularity
from articles.liveness import is_live
from core.reversing import URL_SETTINGS
from paywall import experiments, funnel, meter
from paywall.crawlers import classify
from paywall.experiments import pin_from_session
from paywall.policy import ArticleFacts, MeterView, Reason, Surface, decide
from paywall.reading import needs_meter
from paywall.rights import ReaderRights, signed_in
from paywall.rules import PaywallRules, current_rules

from . import readers
from . import store as page_cache

# The reader pages the page cache keeps, by URL name (namespace ``website``).
CACHED_PAGES = {
    "website:home": "home",
    "website:section": "section",
    "website:topic": "topic",
    "website:author": "author",
    "website:detail": "article",
    "website:search": "search",
}
FAST_BACKENDS = ("django.contrib.auth.backends.ModelBackend",)
_LANGUAGE_PREFIX = re.compile(r"^/([a-z]{2}(?:-[a-z]+)?)/")

# Resolving a path cost 0.12 ms in isolation and more inside gunicorn (hits
# cost 0.4-0.9 ms less with this memo, README "Benchmark"), and a hit's path is
# one of the few thousand pages being read: remembered per process (bounded;
# the answer depends on the path and the URL settings only, which tests change).
RESOLVED_PATHS = 4096


@functools.lru_cache(maxsize=RESOLVED_PATHS)
def _resolved(path: str, languages: frozenset):
    prefix = _LANGUAGE_PREFIX.match(path)
    language = settings.LANGUAGE_CODE
    if prefix and prefix.group(1) in languages and prefix.group(1) != language:
        language = prefix.group(1)
    # The locale prefix pattern matches against the active language.
    with translation.override(language):
        try:
            match = get_resolver().resolve(path)
        except Resolver404:
            return None
    kind = CACHED_PAGES.get(match.view_name)
    if kind is None:
        return None
    return language, kind, MappingProxyType(dict(match.kwargs))


@receiver(setting_changed)
def _forget_paths(*, setting, **kwargs) -> None:
    if setting in URL_SETTINGS:
        _resolved.cache_clear()


class PageCacheHitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.session_store = import_module(settings.SESSION_ENGINE).SessionStore
        self.languages = frozenset(code for code, _ in settings.LANGUAGES)

    def __call__(self, request):
        # The entry and generations read here are the view's too (one round trip).
        token = page_cache.request_reads_begin()
        try:
            if request.method == "GET" and page_cache.enabled():
                response = self.serve(request)
                if response is not None:
                    return response
            response = self.get_response(request)
        finally:
            page_cache.request_reads_end(token)
        if response.has_header("X-Page-Cache"):
            _tidy_vary(response)
        return response

    # --- The fast path ------------------------------------------------------------

    def serve(self, request) -> HttpResponse | None:
        """The cached response the view would give, or None to run the normal stack."""
        found = self.resolve(request.path_info)
        if found is None:
            return None
        language, kind, kwargs = found
        try:
            request.get_host()  # an unknown Host is the normal stack's 400
        except DisallowedHost:
            return None
        now = timezone.now()
        # Article pages decide access: under the reader's rules (the rules in
        # force, or their experiment arm's: one cache round trip at most).
        reader = self.reader(request, now, article=kind == "article")
        if reader is None:
            return None
        rights, prefetched, rules = reader
        if kind == "article":
            entry = page_cache.article_entry(
                kwargs["pk"], language=language, entitlement=rights.cache_class
            )
        else:
            number = page_cache.page_number(request.GET.get("page"))
            if number is None:
                return None
            if kind == "search":
                if not rights.searches_as_class:
                    return None
                # The view's key: the query as sent, under the rules everyone
                # searches by (no experiment arm: search decides for the class).
                page = page_cache.search_page(
                    request.GET.get("q", ""), number, rules_version=current_rules(now=now).version
                )
            else:
                page = page_cache.list_page(kind, kwargs.get("slug", ""), number)
            entry = page_cache.list_entry(page, language=language, entitlement=rights.cache_class)
        if not entry.valid:
            return None
        if kind == "article":
            hit = self.article_hit(request, rights, prefetched, kwargs["pk"], entry, now, rules)
        else:
            hit = entry.get("-")
        if hit is None:
            return None
        if kind == "article":
            popularity.record_view(kwargs["pk"])
        return _response(hit, language=language)

    def resolve(self, path: str):
        """``(language, kind, kwargs)`` of a page the cache keeps, else None."""
        return _resolved(path, self.languages)

    def reader(
        self, request, now, *, article: bool
    ) -> tuple[ReaderRights, dict, PaywallRules | None] | None:
        """The reader's rights, from the cookies, the cached session and the cached
        account record, and on an article the reader's rules; None: let Django decide."""
        try:
            meter_key = meter.meter_key_from_cookie(request)
        except meter.ForgedMeterCookie:
            return None  # the meter middleware replaces a forged cookie
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if session_key:
            session = self.session_store(session_key)
            data = session.load()  # the cache first (cached_db), the database on a miss
            if not data:
                return None  # SessionMiddleware deletes a stale session cookie
            user_id = data.get(SESSION_KEY)
            if user_id is not None:
                if data.get(BACKEND_SESSION_KEY) not in FAST_BACKENDS:
                    return None
                # The session keeps the id as text; the view's reader has the
                # account's own (``django.contrib.auth.get_user`` converts it
                # the same way): the meter's query and the experiment arm read it.
                try:
                    user_id = get_user_model()._meta.pk.to_python(user_id)
                except ValidationError:
                    return None
                # The experiment arm needs only the bucket (the browser's meter id,
                # the session's pin), not the account: the rules come first, the
                # account record and its meter under them in one round trip.
                bucket = ReaderRights(
                    authenticated=True,
                    user_id=user_id,
                    browser_key=meter_key,
                    arm_pin=pin_from_session(data),
                )
                rules = current_rules(now=now, rights=bucket) if article else None
                found = self.account(user_id, data.get(HASH_SESSION_KEY) or "", now, rules, bucket)
                return None if found is None else (*found, rules)
        rights = ReaderRights(meter_key=meter_key, crawler=classify(request))
        return rights, {}, (current_rules(now=now, rights=rights) if article else None)

    def account(self, user_id, session_hash: str, now, rules: PaywallRules | None, bucket):
        """A signed-in reader's rights from the cached account record (one cache
        round trip; two queries when the record has to be rebuilt)."""
        # On an article, the meter record comes along (small, and saves a round
        # trip on metered pages).
        meter_key = readers.meter_key(user_id, now=now, rules=rules) if rules else None
        summary_key = readers.summary_key(user_id)
        found = cache.get_many([k for k in (summary_key, readers.READERS_GEN, meter_key) if k])
        gen, summary = found.get(readers.READERS_GEN), found.get(summary_key)
        if not readers.summary_valid(summary, gen=gen, now=now):
            summary = readers.build_summary(user_id, gen=gen, now=now)
        if summary is None or not summary["is_active"]:
            return None
        if not constant_time_compare(session_hash, summary["auth_hash"]):
            return None  # the normal stack flushes or re-keys the session
        rights = signed_in(
            user_id=user_id,
            entitlements=summary["entitlements"],
            is_staff=summary["is_staff"],
            browser_key=bucket.browser_key,
            arm_pin=bucket.arm_pin,
        )
        return rights, ({meter_key: found.get(meter_key)} if meter_key else {})

    def article_hit(
        self, request, rights: ReaderRights, prefetched, pk: int, entry, now, rules: PaywallRules
    ):
        meta = entry.meta
        if "topic_slugs" not in meta:
            return None  # an entry stored by an older release: the view answers
        live = is_live(
            status=meta["status"],
            published_at=meta["published_at"],
            embargo_until=meta["embargo_until"],
            expires_at=meta["expires_at"],
            at=now,
        )
        if not live or request.path != meta["path"]:
            return None  # gone, or a redirect: the view answers
        article = ArticleFacts(
            pk=pk,
            access_level=meta["access_level"],
            section_slug=meta["section_slug"],
            topic_slugs=frozenset(meta["topic_slugs"]),
            published_at=meta["published_at"],
        )
        view = None
        if needs_meter(rights, article, rules=rules, now=now):
            view = self.meter_view(rights, prefetched, now, rules)
            if view is None or not view.has_read(pk):
                return None  # a read to count (or a meter id to issue): the view does that
        decision = decide(
            rights=rights, article=article, surface=Surface.PAGE, meter=view, rules=rules, now=now
        )
        if decision.reason == Reason.METERED and not view.has_read(pk):
            return None
        hit = entry.get(decision.cache_variant)
        if hit is not None:
            # The view would have recorded both (``paywall.reading.open_article``).
            funnel.record_gate(request, rights=rights, article_id=pk, decision=decision)
            if decision.arm:
                experiments.note_exposure(rights, decision, now=now)  # no SQL: buffered
        return hit

    def meter_view(self, rights: ReaderRights, prefetched, now, rules) -> MeterView | None:
        """The reader's meter this period, without a write (None: no meter yet)."""
        if rights.authenticated:
            found = readers.signed_in_meter(
                rights.user_id, now=now, rules=rules, prefetched=prefetched
            )
            return MeterView(left=found["left"], read_ids=frozenset(found["ids"]))
        if not rights.meter_key:
            return None
        return meter.meter_state(rights, now, rules=rules).view()


def _response(hit: dict, *, language: str) -> HttpResponse:
    """The stored page with the headers the skipped middleware would have added."""
    response = HttpResponse(hit["html"])
    for name, value in hit["headers"].items():
        response[name] = value
    response["X-Page-Cache"] = "hit"
    response["Content-Language"] = language
    response["Content-Length"] = str(len(response.content))
    if settings.X_FRAME_OPTIONS:
        response["X-Frame-Options"] = settings.X_FRAME_OPTIONS
    if not response.get("Cache-Control", "").startswith("public"):
        patch_vary_headers(response, ("Cookie",))
    return response


def _tidy_vary(response) -> None:
    """Drop what a cached page does not vary by (see the module docstring)."""
    drop = {"accept-language"}
    if response.get("Cache-Control", "").startswith("public") and not response.cookies:
        drop.add("cookie")
    vary = [v.strip() for v in response.get("Vary", "").split(",") if v.strip()]
    kept = [v for v in vary if v.lower() not in drop]
    if kept:
        response["Vary"] = ", ".join(kept)
    elif response.has_header("Vary"):
        del response["Vary"]
