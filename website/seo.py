"""What search engines and social networks read: meta tags and JSON-LD.

Nothing here ever reads the article body. Descriptions come from the SEO
description or the dek; whether the article is free comes from the access
decision for an anonymous reader.
"""

import json

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from articles.rendering import renditions_of
from paywall.policy import Surface, decide
from paywall.rights import ANONYMOUS

# The class of the element that holds (or, for readers who are not entitled,
# replaces) the gated part of an article; JSON-LD ``hasPart`` points at it.
GATED_CLASS = "article-gated"

OG_LOCALES = {"id": "id_ID", "en": "en_US"}


def absolute(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    return f"{settings.SITE_URL}{url}"


def canonical_url(article) -> str:
    return article.canonical_url or absolute(article.get_absolute_url())


def description(article) -> str:
    """The meta description: the SEO description, else the dek. Never body text."""
    return (article.seo_description or article.dek or article.headline).strip()[:300]


def is_free(article) -> bool:
    """Free to everyone, as search engines must be told (the structured-data decision)."""
    return decide(rights=ANONYMOUS, article=article, surface=Surface.STRUCTURED_DATA).granted


def share_image(article) -> dict | None:
    """The largest JPEG rendition of the social or lead photo, with its size."""
    photo = article.social_image if article.social_image_id else article.lead_photo
    if photo is None:
        return None
    renditions = [r for r in renditions_of(photo) if r.fmt in {"jpg", "jpeg"}]
    if renditions:
        best = renditions[-1]
        return {"url": absolute(best.url), "width": best.width, "height": best.height}
    if photo.image:
        return {"url": absolute(photo.image.url), "width": photo.width, "height": photo.height}
    return None


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def news_article_ld(article, *, authors, topics) -> dict:
    """schema.org NewsArticle; paywalled articles say so and name the gated part."""
    image = share_image(article)
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.headline[:110],
        "description": description(article),
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical_url(article)},
        "url": canonical_url(article),
        "datePublished": _iso(article.first_published_at or article.published_at),
        "dateModified": _iso(article.updated_at or article.published_at),
        "inLanguage": "id",
        "author": [
            {"@type": "Person", "name": a.name, "url": absolute(a.get_absolute_url())}
            for a in authors
        ]
        or [{"@type": "Organization", "name": settings.SITE_NAME}],
        "publisher": {
            "@type": "Organization",
            "name": settings.SITE_NAME,
            "url": settings.SITE_URL,
            "logo": {
                "@type": "ImageObject",
                "url": absolute(f"{settings.STATIC_URL}img/logo.png"),
            },
        },
        "isAccessibleForFree": is_free(article),
    }
    if image:
        data["image"] = [
            {
                "@type": "ImageObject",
                "url": image["url"],
                "width": image["width"],
                "height": image["height"],
            }
        ]
    if article.section_id:
        data["articleSection"] = article.section.name
    if topics:
        data["keywords"] = [t.name for t in topics]
    if article.editor_id:
        data["editor"] = {"@type": "Person", "name": article.editor.name}
    if not data["isAccessibleForFree"]:
        data["hasPart"] = {
            "@type": "WebPageElement",
            "isAccessibleForFree": False,
            "cssSelector": f".{GATED_CLASS}",
        }
    return data


def meta_tags(article) -> dict:
    """Open Graph and Twitter card values for the article page."""
    image = share_image(article)
    return {
        "title": article.seo_title or article.headline,
        "description": description(article),
        "url": canonical_url(article),
        "image": image,
        "locale": OG_LOCALES.get(get_language() or "id", "id_ID"),
        "published": _iso(article.first_published_at or article.published_at),
        "modified": _iso(article.updated_at),
        "section": article.section.name if article.section_id else "",
    }


def json_ld_script(data) -> SafeString:
    """A ``<script type="application/ld+json">`` block, safe inside HTML."""
    text = (
        json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308
