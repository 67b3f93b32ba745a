"""The page cache's fast path: a cached page served before the rest of the stack.

A cache hit in the view still pays for every middleware in front of it
(sessions, locale, CSRF, the user lookup, messages, axes, the meter cookie):
2-4 ms of CPU for a page the cache already holds. ``PageCacheHitMiddleware``
sits early in ``MIDDLEWARE`` (after the security headers and WhiteNoise) and
answers a GET for an article, home, section, topic or author page itself when
it can prove the view would serve the same cached bytes:

1. the URL resolves to one of those views (the language comes from the URL:
   ``i18n_patterns`` with Indonesian unprefixed);
2. the reader is anonymous (no session cookie, or a session without a user),
   or signed in with a session (read from the cache: ``cached_db`` sessions)
   whose account record (``pagecache.readers``) is in the cache, active, and
   matches the session's auth hash, exactly as ``django.contrib.auth`` checks;
3. the page entry is valid for the reader's entitlement class, and, on an
   article, the access decision (``paywall.policy.decide_without_meter``,
   or the meter when the reader already read this metered article this period:
   cached per signed-in account, ``readers.signed_in_meter``)
   names a variant the entry holds.

Anything else (a miss, a forged meter cookie, a crawler on a metered article,
a first metered read, a stale account record, a wrong path that redirects)
goes down the normal stack unchanged, and the view does what it always did.
Per request that is one or two cache round trips and no SQL.

On the way out of the normal stack it also tidies the ``Vary`` header of
cached-page responses: the language is in the URL, so ``Accept-Language`` is
not needed, and a ``public`` page is the same for every anonymous reader, so
``Cookie`` is not either (a CDN must bypass its cache for requests that carry
the session cookie, as ``bench/nginx.conf.in`` does).
"""

import re
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.urls import Resolver404, get_resolver
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.crypto import constant_time_compare

from analytics import popularity
from pagecache import store as page_cache
from paywall import policy as access
from paywall.meter import period_start
from website import views

from . import readers

CACHED_VIEWS = {
    views.home: "home",
    views.section: "section",
    views.topic: "topic",
    views.author: "author",
    views.article_detail: "article",
}
FAST_BACKENDS = ("django.contrib.auth.backends.ModelBackend",)
_LANGUAGE_PREFIX = re.compile(r"^/([a-z]{2}(?:-[a-z]+)?)/")


class _Reader:
    """What the fast path knows about the reader."""

    __slots__ = ("user_id", "entitlements", "is_staff", "meter_key", "summary_key", "prefetched")

    def __init__(self, *, user_id=None, entitlements=frozenset(), is_staff=False, meter_key=None):
        self.user_id = user_id
        self.entitlements = entitlements
        self.is_staff = is_staff
        self.meter_key = meter_key
        self.prefetched = None
        self.summary_key = readers.summary_key(user_id) if user_id is not None else None

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def entitlement_class(self) -> str:
        if not self.authenticated:
            return "anonymous"
        return access.entitlement_class_of(self.entitlements)


class PageCacheHitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.session_store = import_module(settings.SESSION_ENGINE).SessionStore
        self.languages = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        if request.method == "GET" and page_cache.enabled():
            response = self.serve(request)
            if response is not None:
                return response
        response = self.get_response(request)
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
        reader = self.reader(request, now)
        if reader is None:
            return None
        if kind == "article":
            entry = page_cache.article_entry(
                kwargs["pk"], language=language, entitlement=reader.entitlement_class
            )
        else:
            number = _page_number(request)
            if number is None:
                return None
            entry = page_cache.list_entry(
                page_cache.list_page(kind, kwargs.get("slug", ""), number),
                language=language,
                entitlement=reader.entitlement_class,
            )
        if not entry.valid:
            return None
        if kind == "article":
            hit = self.article_hit(request, reader, kwargs["pk"], entry, now)
        else:
            hit = entry.get("-")
        if hit is None:
            return None
        if kind == "article":
            popularity.record_view(kwargs["pk"])
        return _response(hit, language=language)

    def resolve(self, path: str):
        prefix = _LANGUAGE_PREFIX.match(path)
        language = settings.LANGUAGE_CODE
        if prefix and prefix.group(1) in self.languages and prefix.group(1) != language:
            language = prefix.group(1)
        # The locale prefix pattern matches against the active language.
        with translation.override(language):
            try:
                match = get_resolver().resolve(path)
            except Resolver404:
                return None
        kind = CACHED_VIEWS.get(match.func)
        if kind is None:
            return None
        return language, kind, match.kwargs

    def reader(self, request, now) -> _Reader | None:
        """Who is asking, from the cookies, the cached session and the cached
        account record; None: let Django decide."""
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
                reader = _Reader(user_id=user_id)
                if not self.account_ok(reader, data.get(HASH_SESSION_KEY) or "", now):
                    return None
                return reader
        meter_key = None
        raw = request.COOKIES.get(settings.PAYWALL_METER_COOKIE)
        if raw:
            from paywall.middleware import SALT

            try:
                meter_key = signing.get_cookie_signer(salt=SALT).unsign(raw)
            except signing.BadSignature:
                return None  # the meter middleware replaces a forged cookie
        return _Reader(meter_key=meter_key)

    def account_ok(self, reader: _Reader, session_hash: str, now) -> bool:
        """Fill in the signed-in reader's entitlements from the cached account record
        (one cache round trip; two queries when the record has to be rebuilt)."""
        # The meter record comes along (small, and saves a round trip on metered pages).
        meter_key = readers.meter_key(reader.user_id, period_start(now))
        found = cache.get_many([reader.summary_key, readers.READERS_GEN, meter_key])
        reader.prefetched = {meter_key: found.get(meter_key)}
        gen, summary = found.get(readers.READERS_GEN), found.get(reader.summary_key)
        if not readers.summary_valid(summary, gen=gen, now=now):
            summary = readers.build_summary(reader.user_id, gen=gen, now=now)
        if summary is None or not summary["is_active"]:
            return False
        if not constant_time_compare(session_hash, summary["auth_hash"]):
            return False  # the normal stack flushes or re-keys the session
        reader.entitlements = frozenset(summary["entitlements"])
        reader.is_staff = summary["is_staff"]
        return True

    def article_hit(self, request, reader: _Reader, pk: int, entry, now):
        meta = entry.meta
        if not views._live(meta, now=now) or request.path != meta["path"]:
            return None  # gone, or a redirect: the view answers
        article = views._article_from_meta(pk, meta)
        decision = access.decide_without_meter(
            article=article,
            entitlements=reader.entitlements,
            authenticated=reader.authenticated,
            is_staff=reader.is_staff,
            user_id=reader.user_id,
            now=now,
        )
        if decision is None:
            decision = self.metered_reread(request, reader, article, now)
            if decision is None:
                return None
        return entry.get(decision.cache_variant)

    def metered_reread(self, request, reader: _Reader, article, now):
        """A metered article this reader already read this period: no write, no new count."""
        if reader.authenticated:
            found = readers.signed_in_meter(reader.user_id, now=now, prefetched=reader.prefetched)
            if article.pk not in found["ids"]:
                return None
            return access.AccessDecision(True, "metered", meter_left=found["left"])
        if not reader.meter_key:
            return None  # a first metered read issues a meter id: the view does that
        agent = request.headers.get("User-Agent", "")
        if access._BOT_PATTERN.search(agent) or access.VERIFIABLE_CRAWLERS.search(agent):
            return None  # crawlers are decided by the view
        from paywall.meter import meter_state

        state = meter_state(access.Reader(meter_key=reader.meter_key), now)
        if not state.has_read(article.pk):
            return None
        return access.AccessDecision(True, "metered", meter_left=state.left)


def _page_number(request) -> int | None:
    raw = request.GET.get("page", "1")
    if not raw.isdigit():
        return None
    number = int(raw)
    return number if 1 <= number <= views.MAX_PAGE else None


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
