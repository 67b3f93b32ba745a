"""Reader pages. Thin: they fetch, ask the access decision, and render."""

from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from subscriptions.access import access_for_request, visible_body

from .models import Article, Author, Gallery, Section, Topic


def home(request):
    latest = Article.objects.published().for_listing()[:20]
    return render(request, "articles/home.html", {"latest": latest})


def _listing(request, title, queryset, obj):
    articles = queryset.published().for_listing()[:30]
    return render(
        request, "articles/listing.html", {"title": title, "articles": articles, "object": obj}
    )


def section(request, slug):
    obj = get_object_or_404(Section, slug=slug)
    return _listing(request, obj.name, Article.objects.filter(section=obj), obj)


def topic(request, slug):
    obj = get_object_or_404(Topic, slug=slug)
    return _listing(request, obj.name, Article.objects.filter(topics=obj), obj)


def author(request, slug):
    obj = get_object_or_404(Author, slug=slug)
    return _listing(request, obj.name, Article.objects.filter(authors=obj), obj)


def gallery(request, slug):
    obj = get_object_or_404(Gallery, slug=slug, published_at__lte=timezone.now())
    return render(request, "articles/gallery.html", {"gallery": obj})


def article_detail(request, section, year, month, day, pk, slug):
    article = get_object_or_404(
        Article.objects.published().select_related("section", "lead_photo"), pk=pk
    )
    if request.path != article.get_absolute_url():
        return redirect(article.get_absolute_url(), permanent=True)
    decision = access_for_request(request, article)
    return render(
        request,
        "articles/detail.html",
        {"article": article, "decision": decision, "body": visible_body(article, decision)},
    )
