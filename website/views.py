"""Reader pages. Thin: they fetch, ask the access decision, and render.

Article, home, section, topic and author pages go through the page cache
(``pagecache.store``): a hit costs the access decision and one cache read.
"""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from analytics import popularity
from articles.models import Article, Author, Gallery, Section, Topic
from articles.rendering import render_body
from articles.selectors import related_articles
from pagecache import store as page_cache
from paywall.policy import (
    ANONYMOUS,
    Reader,
    access_for_request,
    decide,
    entitlement_class,
    reader_from_request,
    visible_body,
)
from subscriptions.plans import AD_FREE, PREMIUM_CONTENT

from . import pageblocks, seo
from .search import clean_query, search_articles

PER_PAGE = 20
MAX_PAGE = 500
SEARCH_PER_PAGE = 20
STATIC_PAGES = {"tentang": "about", "kontak": "contact", "syarat-langganan": "terms"}


# --- Responses and cache headers ----------------------------------------------


def cache_headers(*, public: bool, tags: list[str]) -> dict:
    """Headers for a page: shareable ones for a CDN, private ones for the reader only."""
    if public:
        control = (
            f"public, max-age={settings.HTTP_CACHE_MAX_AGE}, "
            f"s-maxage={settings.HTTP_CACHE_S_MAXAGE}"
        )
    else:
        control = "private, max-age=0, must-revalidate"
    return {
        "Cache-Control": control,
        "Surrogate-Key": " ".join(tags),
        "Cache-Tag": ",".join(tags),
    }


def _apply(response, headers: dict):
    for name, value in headers.items():
        response[name] = value
    return response


def _respond(html: str, headers: dict, *, hit: bool) -> HttpResponse:
    response = HttpResponse(html)
    for name, value in headers.items():
        response[name] = value
    response["X-Page-Cache"] = "hit" if hit else "miss"
    return response


def _page_number(request) -> int:
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        raise Http404("Page is not a number") from None
    if not 1 <= number <= MAX_PAGE:
        raise Http404("No such page")
    return number


def _cached_list(request, *, page: str, build) -> HttpResponse:
    """Serve a list page from the cache, or build, render and keep it.

    ``page`` comes from the URL alone (``cache.list_page``), so a hit needs no
    database lookup. ``build()`` returns ``(template, context, tags)``; it may
    raise Http404.
    """
    variant = entitlement_class(request)
    entry = page_cache.list_entry(page, language=get_language(), entitlement=variant)
    hit = entry.get("-")
    if hit is not None:
        return _respond(hit["html"], hit["headers"], hit=True)
    template, context, tags = build()
    html = render_to_string(template, context, request=request)
    headers = cache_headers(public=variant == "anonymous", tags=tags)
    entry.store("-", html, headers)
    return _respond(html, headers, hit=False)


# --- Home and lists -------------------------------------------------------------


@require_GET
def home(request):
    def build():
        shared = pageblocks.shared_blocks()
        home_sections = [s for s in shared["sections"] if s.show_on_home]
        lists = pageblocks.article_lists(latest=15, picks=6)
        lead, top, latest = lists.latest[:1], lists.latest[1:5], lists.latest[5:15]
        context = {
            "top_story": lead[0] if lead else None,
            "top_stories": top,
            "latest": latest,
            "picks": lists.picks,
            "most_read": pageblocks.most_read(limit=5, fallback=lists.latest),
            "section_blocks": pageblocks.section_blocks(home_sections, per_section=4),
            "shared": shared,
            "canonical": seo.absolute("/"),
        }
        return "website/home.html", context, ["home", "lists"]

    return _cached_list(request, page=page_cache.list_page("home"), build=build)


def _listing(request, *, kind: str, slug: str, load, extra=None):
    """A section, topic or author page; ``load()`` fetches the object (or 404s) on a miss."""
    number = _page_number(request)

    def build():
        obj, queryset = load()
        # Cards show no body text: leave the biggest column in the database.
        paginator = Paginator(
            queryset.published().for_listing().defer("body").order_by(*pageblocks.NEWEST),
            PER_PAGE,
        )
        try:
            page = paginator.page(number)
        except (EmptyPage, PageNotAnInteger):
            raise Http404("No such page") from None
        context = {
            "kind": kind,
            "object": obj,
            "page": page,
            "articles": list(page.object_list),
            "shared": pageblocks.shared_blocks(),
            "canonical": seo.absolute(obj.get_absolute_url())
            + (f"?page={number}" if number > 1 else ""),
        }
        context.update(extra(obj) if extra else {})
        return "website/listing.html", context, [f"{kind}-{obj.pk}", "lists"]

    return _cached_list(request, page=page_cache.list_page(kind, slug, number), build=build)


@require_GET
def section(request, slug):
    subsections = []

    def load():
        obj = get_object_or_404(Section.objects.select_related("parent"), slug=slug)
        subsections.extend(obj.children.all())
        # The section's own articles and its subsections', as one IN list (an OR
        # across the section join would make PostgreSQL scan every article).
        ids = [obj.pk, *(child.pk for child in subsections)]
        return obj, Article.objects.filter(section_id__in=ids)

    return _listing(
        request,
        kind="section",
        slug=slug,
        load=load,
        extra=lambda obj: {"subsections": subsections},
    )


@require_GET
def topic(request, slug):
    def load():
        obj = get_object_or_404(Topic, slug=slug)
        return obj, Article.objects.filter(topics=obj)

    return _listing(request, kind="topic", slug=slug, load=load)


@require_GET
def author(request, slug):
    def load():
        obj = get_object_or_404(Author, slug=slug)
        return obj, Article.objects.filter(authors=obj)

    return _listing(request, kind="author", slug=slug, load=load)


@require_GET
def gallery(request, slug):
    obj = get_object_or_404(Gallery, slug=slug, published_at__lte=timezone.now())
    items = list(obj.items.select_related("photo", "photo__agency"))
    response = render(
        request,
        "website/gallery.html",
        {"gallery": obj, "items": items, "shared": pageblocks.shared_blocks()},
    )
    if entitlement_class(request) == "anonymous":
        _apply(response, cache_headers(public=True, tags=[f"gallery-{obj.pk}"]))
    return response


# --- The article page ---------------------------------------------------------------


def _outcome(decision) -> str:
    # Full text or teaser, why, and the meter count the page shows.
    return decision.cache_variant


def _article_meta(article: Article) -> dict:
    """What a cache hit needs to decide access and redirect without the database."""
    return {
        "path": article.get_absolute_url(),
        "access_level": article.access_level,
        "section_id": article.section_id,
        "status": article.status,
        "published_at": article.published_at,
        "embargo_until": article.embargo_until,
        "expires_at": article.expires_at,
        "slug": article.slug,
    }


def _article_from_meta(pk: int, meta: dict) -> Article:
    """An unsaved stand-in with the fields the access decision reads."""
    return Article(
        pk=pk,
        slug=meta["slug"],
        access_level=meta["access_level"],
        section_id=meta["section_id"],
        status=meta["status"],
        published_at=meta["published_at"],
        embargo_until=meta["embargo_until"],
        expires_at=meta["expires_at"],
    )


def _shareable(article: Article, variant: str, decision) -> bool:
    """May a CDN keep this response for every anonymous reader?

    Free articles and the teasers of registration/premium articles are the
    same for all anonymous readers. Metered pages never are: the meter
    differs per reader and must be counted here. Entitled text never is.
    """
    if variant != "anonymous" or article.access_level == Article.AccessLevel.METERED:
        return False
    return article.access_level == Article.AccessLevel.FREE or not decision.granted


def _lists_around(article: Article) -> pageblocks.Lists:
    """Latest news, editors' picks and "more in this section" around an article.

    The same lists as ``pageblocks.article_lists(..., exclude_pk=article.pk)``,
    but read once per section and generation (``cache.shared_fragment``) and
    shared by every article of the section: one more row is fetched for each
    list, and the article itself is dropped from the copy here.
    """
    section_ids = [article.section_id] if article.section_id else None
    lists = page_cache.shared_fragment(
        f"article-lists:{article.section_id}",
        lambda: pageblocks.article_lists(latest=11, picks=6, section_ids=section_ids, in_section=6),
    )

    def without_self(rows: list, limit: int) -> list:
        return [a for a in rows if a.pk != article.pk][:limit]

    return pageblocks.Lists(
        latest=without_self(lists.latest, 10),
        picks=without_self(lists.picks, 5),
        in_section=without_self(lists.in_section, 5),
    )


def article_context(article: Article, decision, *, request=None) -> dict:
    """Everything the article template shows, in a constant number of queries."""
    authors, topics = pageblocks.byline_and_topics(article)
    lists = _lists_around(article)
    related = list(related_articles(article, limit=5))
    related_ids = {a.pk for a in related}
    dateline = (
        f"{settings.SITE_NAME}, {article.dateline_city.upper()} –" if article.dateline_city else ""
    )
    return {
        "article": article,
        "decision": decision,
        "body": render_body(visible_body(article, decision), dateline=dateline),
        "gated_body": decision.granted and article.access_level != Article.AccessLevel.FREE,
        "gated_class": seo.GATED_CLASS,
        "authors": authors,
        "topics": topics,
        "related": related,
        "in_section": [a for a in lists.in_section if a.pk not in related_ids][:5],
        "latest": lists.latest,
        "picks": lists.picks,
        "shared": pageblocks.shared_blocks(),
        "meta": seo.meta_tags(article),
        "json_ld": seo.json_ld_script(seo.news_article_ld(article, authors=authors, topics=topics)),
        "canonical": seo.canonical_url(article),
        "follow_us": settings.FOLLOW_US_CHANNELS,
    }


ARTICLE_RELATIONS = ("section", "section__parent", "lead_photo", "lead_photo__agency", "editor")


@require_GET
def article_detail(request, section, year, month, day, pk, slug):
    variant = entitlement_class(request)
    entry = page_cache.article_entry(pk, language=get_language(), entitlement=variant)
    article = None
    if entry.valid and _live(entry.meta):
        if request.path != entry.meta["path"]:
            return HttpResponsePermanentRedirect(entry.meta["path"])
        decision = access_for_request(request, _article_from_meta(pk, entry.meta))
        hit = entry.get(_outcome(decision))
        if hit is not None:
            popularity.record_view(pk)
            return _respond(hit["html"], hit["headers"], hit=True)
    else:
        decision = None
    article = get_object_or_404(
        Article.objects.published().select_related(*ARTICLE_RELATIONS), pk=pk
    )
    if request.path != article.get_absolute_url():
        return redirect(article.get_absolute_url(), permanent=True)
    if decision is None:
        decision = access_for_request(request, article)
    popularity.record_view(article.pk)
    html = render_to_string(
        "website/detail.html", article_context(article, decision), request=request
    )
    headers = cache_headers(
        public=_shareable(article, variant, decision),
        tags=[f"article-{article.pk}", f"section-{article.section_id}"],
    )
    entry.store(_outcome(decision), html, headers, meta=_article_meta(article))
    return _respond(html, headers, hit=False)


def _live(meta: dict, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        meta.get("status") == Article.Status.PUBLISHED
        and meta.get("published_at") is not None
        and meta["published_at"] <= now
        and (meta.get("embargo_until") is None or meta["embargo_until"] <= now)
        and (meta.get("expires_at") is None or meta["expires_at"] > now)
    )


# --- Staff preview ------------------------------------------------------------------


class PreviewUser:
    """A signed-in reader who exists only for a preview, with chosen entitlements."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    pk = id = None


PREVIEW_READERS = {
    "anonymous": (lambda: Reader(preview_entitlements=frozenset()), True),
    "registered": (lambda: Reader(user=PreviewUser(), preview_entitlements=frozenset()), True),
    "premium": (
        lambda: Reader(
            user=PreviewUser(), preview_entitlements=frozenset({AD_FREE, PREMIUM_CONTENT})
        ),
        False,
    ),
}


@require_GET
def preview(request, pk):
    """A draft exactly as an anonymous, registered or premium reader would see it."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.has_perm("articles.preview_article"):
        raise Http404("No such article")
    as_reader = request.GET.get("as", "anonymous")
    if as_reader not in PREVIEW_READERS:
        return HttpResponse(
            "Choose ?as=anonymous, ?as=registered or ?as=premium.",
            status=400,
            content_type="text/plain",
        )
    make_reader, show_ads = PREVIEW_READERS[as_reader]
    article = get_object_or_404(Article.objects.select_related(*ARTICLE_RELATIONS), pk=pk)
    decision = decide(reader=make_reader(), article=article)
    context = article_context(article, decision)
    context.update(
        {"show_ads": show_ads, "preview_as": as_reader, "preview_choices": list(PREVIEW_READERS)}
    )
    response = render(request, "website/detail.html", context)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- Search and the rest ---------------------------------------------------------------


@require_GET
def search(request):
    query = clean_query(request.GET.get("q", ""))
    number = _page_number(request)
    reader = reader_from_request(request)
    found = search_articles(
        query, reader=reader, limit=SEARCH_PER_PAGE + 1, offset=(number - 1) * SEARCH_PER_PAGE
    )
    response = render(
        request,
        "website/search.html",
        {
            "query": query,
            "results": found[:SEARCH_PER_PAGE],
            "page_number": number,
            "has_next": len(found) > SEARCH_PER_PAGE,
            "shared": pageblocks.shared_blocks(),
        },
    )
    response["X-Robots-Tag"] = "noindex, follow"
    if entitlement_class(request) == "anonymous":
        _apply(response, cache_headers(public=True, tags=["search", "lists"]))
    return response


@require_GET
def static_page(request, slug):
    if slug not in STATIC_PAGES:
        raise Http404("No such page")
    response = render(
        request,
        f"pages/{STATIC_PAGES[slug]}.html",
        {"shared": pageblocks.shared_blocks(), "page_slug": slug},
    )
    if entitlement_class(request) == "anonymous":
        _apply(response, cache_headers(public=True, tags=["pages"]))
    return response


@require_GET
def signout(request):
    """A page with the sign-out button (cached pages carry no CSRF token)."""
    response = render(request, "website/signout.html", {"shared": pageblocks.shared_blocks()})
    response["Cache-Control"] = "private, no-store"
    return response


def anonymous_decision(article):
    """The decision for feeds, sitemaps and other surfaces nobody signs in to."""
    return decide(reader=ANONYMOUS, article=article)
