"""Reader pages. Thin: they fetch, ask the paywall, and render.

Every page gets the reader's rights once (``subscriptions.rights``), the
article page its decision from ``paywall.reading.open_article``, and every
response its headers from ``paywall.cache_policy``. Article, home, section,
topic and author pages are kept in the page cache (``pagecache.store``) per
cache class and variant; ``pagecache.middleware`` serves the hits before the
rest of the stack.
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from analytics import popularity
from articles.body import visible_body
from articles.liveness import liveness_facts
from articles.models import Article, Author, Gallery, Section, Topic
from articles.rendering import render_body
from core.prepared import fits, prepared
from pagecache import listindex
from pagecache import store as page_cache
from paywall.cache_policy import cache_policy
from paywall.policy import Surface, decide, fresh_meter
from paywall.reading import open_article
from paywall.rights import AD_FREE, ANONYMOUS, PREMIUM_CONTENT, signed_in
from paywall.rules import current_rules
from subscriptions.rights import reader_rights

from . import fragments, pageblocks, seo
from .search import clean_query, search_articles

PER_PAGE = listindex.PAGE_SIZE  # the lists' indexes know where each page ends
MAX_PAGE = page_cache.MAX_PAGE
SEARCH_PER_PAGE = 20
STATIC_PAGES = {"tentang": "about", "kontak": "contact", "syarat-langganan": "terms"}


# --- Responses -------------------------------------------------------------------


def _respond(body: bytes | str, headers: dict, *, hit: bool) -> HttpResponse:
    """``body``: ``_page_bytes`` (a page kept by an older release is text)."""
    response = HttpResponse(body)
    for name, value in headers.items():
        response[name] = value
    response["X-Page-Cache"] = "hit" if hit else "miss"
    return response


def _page_bytes(html: str) -> bytes:
    """A rendered page as the response sends it, encoded once. The page cache
    keeps these bytes, so a hit neither decodes the page from the cache nor
    encodes it for the response: a page with one character outside Latin-1
    (a dash, a curly quote) is stored by Python two bytes per character, and
    encoding and decoding its 40 KB cost a third of a hit's instructions."""
    return html.encode(settings.DEFAULT_CHARSET)


def _page_number(request) -> int:
    number = page_cache.page_number(request.GET.get("page"))
    if number is None:
        raise Http404("No such page")
    return number


def _cached_list(
    request, *, page: str | None, build, surface=Surface.LIST, rights=None, extra_headers=None
) -> HttpResponse:
    """Serve a list page from the cache, or build, render and keep it.

    ``page`` comes from the URL alone (``cache.list_page``), so a hit needs no
    database lookup; None renders the page without keeping it. ``build()``
    returns ``(template, context, tags)``; it may raise Http404.
    """
    policy = cache_policy(None, rights=rights or reader_rights(request), surface=surface)
    entry = None
    if page is not None:
        entry = page_cache.list_entry(page, language=get_language(), entitlement=policy.cache_class)
        hit = entry.get(policy.variant)
        if hit is not None:
            return _respond(hit["html"], hit["headers"], hit=True)
    template, context, tags = build()
    body = _page_bytes(render_to_string(template, context, request=request))
    headers = {**policy.headers(tags=tags), **(extra_headers or {})}
    if entry is not None:
        entry.store(policy.variant, body, headers)
    return _respond(body, headers, hit=False)


# --- Home and lists -------------------------------------------------------------


@require_safe
def home(request):
    def build():
        context = {"blocks": fragments.home_blocks(), "canonical": seo.absolute("/")}
        return "website/home.html", context, ["home", "lists"]

    return _cached_list(request, page=page_cache.list_page("home"), build=build)


def _listing(request, *, kind: str, slug: str, load, extra=None):
    """A section, topic or author page; ``load()`` fetches the object (or 404s) on
    a miss and names whose articles it lists (``pageblocks.ListedArticles``)."""
    number = _page_number(request)

    def build():
        obj, owner = load()
        paginator = Paginator(pageblocks.ListedArticles(kind, owner), PER_PAGE)
        try:
            page = paginator.page(number)
        except (EmptyPage, PageNotAnInteger):
            raise Http404("No such page") from None
        articles = list(page.object_list)
        context = {
            "kind": kind,
            "object": obj,
            "page": page,
            "articles": articles,
            "cards": fragments.listing_cards(articles, photo=True, heading="h2"),
            "canonical": seo.absolute(obj.get_absolute_url())
            + (f"?page={number}" if number > 1 else ""),
        }
        context.update(extra(obj) if extra else {})
        return "website/listing.html", context, [f"{kind}-{obj.pk}", "lists"]

    return _cached_list(request, page=page_cache.list_page(kind, slug, number), build=build)


# The list pages' owners by slug, and a section's subsections: built and
# compiled once per process (``core.prepared``), the slug a parameter.
@prepared
def _section_by_slug(*, slug: str):
    return Section.objects.select_related("parent").filter(slug=slug)


@prepared
def _subsections(*, parent_id: int):
    return Section.objects.filter(parent_id=parent_id)


@prepared
def _topic_by_slug(*, slug: str):
    return Topic.objects.filter(slug=slug)


@prepared
def _author_by_slug(*, slug: str):
    return Author.objects.filter(slug=slug)


def _one_or_404(found: list):
    if not found:
        raise Http404("No such page")
    return found[0]


@require_safe
def section(request, slug):
    subsections = []

    def load():
        obj = _one_or_404(_section_by_slug(slug=slug))
        subsections.extend(_subsections(parent_id=obj.pk))
        return obj, [obj.pk, *(child.pk for child in subsections)]

    return _listing(
        request,
        kind="section",
        slug=slug,
        load=load,
        extra=lambda obj: {"subsections": subsections},
    )


@require_safe
def topic(request, slug):
    def load():
        obj = _one_or_404(_topic_by_slug(slug=slug))
        return obj, obj.pk

    return _listing(request, kind="topic", slug=slug, load=load)


@require_safe
def author(request, slug):
    def load():
        obj = _one_or_404(_author_by_slug(slug=slug))
        return obj, obj.pk

    return _listing(request, kind="author", slug=slug, load=load)


@require_safe
def gallery(request, slug):
    obj = get_object_or_404(Gallery, slug=slug, published_at__lte=timezone.now())
    items = list(obj.items.select_related("photo", "photo__agency"))
    response = render(
        request,
        "website/gallery.html",
        {"gallery": obj, "items": items},
    )
    policy = cache_policy(None, rights=reader_rights(request), surface=Surface.LIST)
    return policy.apply(response, tags=[f"gallery-{obj.pk}"])


# --- The article page ---------------------------------------------------------------


def _article_meta(article: Article, *, topics) -> dict:
    """What a cache hit needs to decide access and redirect without the database:
    the path, liveness and what the paywall rules' overrides read (``ArticleFacts``),
    whatever the rules are now (the next version may add overrides)."""
    return {
        "path": article.get_absolute_url(),
        "access_level": article.access_level,
        "section_slug": article.section_slug,
        "topic_slugs": sorted(topic.slug for topic in topics),
        **liveness_facts(article),
    }


def _lists_around(article: Article) -> pageblocks.Lists:
    """Latest news, editors' picks and "more in this section" around an article,
    as rendered cards and headlines (``fragments.RenderedCard``).

    The same lists as ``pageblocks.article_lists(..., exclude_pk=article.pk)``,
    but read and rendered once per section, language and generation
    (``fragments.article_lists``) and shared by every article of the section:
    one more of each is kept, and the article itself is dropped here.
    """
    lists = fragments.article_lists(article.section_id)

    def without_self(rows: list, limit: int) -> list:
        return [a for a in rows if a.pk != article.pk][:limit]

    return pageblocks.Lists(
        latest=without_self(lists.latest, 10),
        picks=without_self(lists.picks, 5),
        in_section=without_self(lists.in_section, 5),
    )


def article_context(article: Article, decision, *, request=None, at=None) -> dict:
    """Everything the article template shows, in a constant number of queries."""
    authors, topics = pageblocks.byline_and_topics(article)
    lists = _lists_around(article)
    related = pageblocks.related_rows(article, at=at)  # card rows: pk first
    related_ids = {row[0] for row in related}
    dateline = (
        f"{settings.SITE_NAME}, {article.dateline_city.upper()} –" if article.dateline_city else ""
    )
    return {
        "article": article,
        "decision": decision,
        "body": render_body(visible_body(article, decision), dateline=dateline),
        "gated_body": decision.entitled_text,
        "gated_class": seo.GATED_CLASS,
        "authors": authors,
        "topics": topics,
        "related": related,
        # Rendered once per process while what each card shows is unchanged.
        "related_cards": fragments.joined(fragments.cards(related, photo=True, heading="h3")),
        "in_section": fragments.joined(
            [a for a in lists.in_section if a.pk not in related_ids][:5]
        ),
        "latest": fragments.joined(lists.latest),
        "picks": fragments.headline_list(lists.picks) if lists.picks else "",
        "meta": seo.meta_tags(article),
        "json_ld": seo.json_ld_script(seo.news_article_ld(article, authors=authors, topics=topics)),
        "canonical": seo.canonical_url(article),
        "follow_us": settings.FOLLOW_US_CHANNELS,
    }


ARTICLE_RELATIONS = ("section", "section__parent", "lead_photo", "lead_photo__agency", "editor")


@prepared
def _live_article(*, pk: int, at):
    return Article.objects.published(at=at).select_related(*ARTICLE_RELATIONS).filter(pk=pk)


@require_safe
def article_detail(request, section, year, month, day, pk, slug):
    now = timezone.now()
    found = _live_article(pk=pk, at=now) if fits(Article._meta.pk, pk) else []
    if not found:
        raise Http404("No such article")
    article = found[0]
    if request.path != article.get_absolute_url():
        return redirect(article.get_absolute_url(), permanent=True)
    rights = reader_rights(request)
    surface = Surface.PRINT if "print" in request.GET else Surface.PAGE
    decision = open_article(request, rights=rights, article=article, surface=surface)
    popularity.record_view(article.pk)
    policy = cache_policy(decision, rights=rights, surface=surface)
    entry = page_cache.article_entry(pk, language=get_language(), entitlement=policy.cache_class)
    hit = entry.get(policy.variant)
    if hit is not None:
        return _respond(hit["html"], hit["headers"], hit=True)
    context = article_context(article, decision, at=now)
    body = _page_bytes(render_to_string("website/detail.html", context, request=request))
    headers = policy.headers(tags=[f"article-{article.pk}", f"section-{article.section_id}"])
    entry.store(
        policy.variant, body, headers, meta=_article_meta(article, topics=context["topics"])
    )
    return _respond(body, headers, hit=False)


# --- Staff preview ------------------------------------------------------------------


# The hypothetical readers a preview shows a draft to, and whether they see ads.
PREVIEW_READERS = {
    "anonymous": (ANONYMOUS, True),
    "registered": (signed_in(user_id=None, entitlements=(), hypothetical=True), True),
    "premium": (
        signed_in(user_id=None, entitlements=(AD_FREE, PREMIUM_CONTENT), hypothetical=True),
        False,
    ),
}


@require_safe
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
    rights, show_ads = PREVIEW_READERS[as_reader]
    article = get_object_or_404(Article.objects.select_related(*ARTICLE_RELATIONS), pk=pk)
    decision = decide(
        rights=rights, article=article, surface=Surface.PREVIEW, meter=fresh_meter(rights)
    )
    context = article_context(article, decision)
    context.update(
        {"show_ads": show_ads, "preview_as": as_reader, "preview_choices": list(PREVIEW_READERS)}
    )
    response = render(request, "website/detail.html", context)
    cache_policy(decision, rights=rights, surface=Surface.PREVIEW).apply(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- Search and the rest ---------------------------------------------------------------


@require_safe
def search(request):
    """Results pages are kept in the page cache per query, page, cache class and
    rules version (``page_cache.search_page``) when the reader's results are
    their class's (``ReaderRights.searches_as_class``); an article change
    empties them with the lists."""
    raw = request.GET.get("q", "")
    number = _page_number(request)
    rights = reader_rights(request)
    now = timezone.now()
    rules = current_rules(now=now)

    def build():
        query = clean_query(raw)
        found = search_articles(
            query,
            rights=rights,
            limit=SEARCH_PER_PAGE + 1,
            offset=(number - 1) * SEARCH_PER_PAGE,
            rules=rules,
            now=now,
        )
        context = {
            "query": query,
            "results": found[:SEARCH_PER_PAGE],
            "page_number": number,
            "has_next": len(found) > SEARCH_PER_PAGE,
        }
        return "website/search.html", context, ["search", "lists"]

    page = None
    if rights.searches_as_class:
        page = page_cache.search_page(raw, number, rules_version=rules.version)
    # Snippets show what each result's decision lets through for this reader's class.
    return _cached_list(
        request,
        page=page,
        build=build,
        surface=Surface.SEARCH,
        rights=rights,
        extra_headers={"X-Robots-Tag": "noindex, follow"},
    )


@require_safe
def static_page(request, slug):
    if slug not in STATIC_PAGES:
        raise Http404("No such page")
    response = render(
        request,
        f"pages/{STATIC_PAGES[slug]}.html",
        {"page_slug": slug},
    )
    policy = cache_policy(None, rights=reader_rights(request), surface=Surface.LIST)
    return policy.apply(response, tags=["pages"])


@require_safe
def signout(request):
    """A page with the sign-out button (cached pages carry no CSRF token)."""
    response = render(request, "website/signout.html")
    response["Cache-Control"] = "private, no-store"
    return response
