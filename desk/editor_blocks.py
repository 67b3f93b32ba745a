"""The body's embedded blocks as the admin's prose editor shows them.

A stored block names only an id (and, for a photo, this use's caption and
credit override: ``articles.body_blocks``). The editor shows more: the
photo's thumbnail with the library's caption and credit, the "Read also"
article's headline. ``editor_body`` adds those as display-only ``data-*``
attributes, looked up in one query per kind; the editor's nodes read them
and never write them back, and the body's allow-list would drop them anyway.

The picker endpoints (``desk.editor_endpoints``) describe photos and
articles with the same ``photo_choice`` / ``article_choice``.
"""

from html import escape

from django.utils import timezone

from articles.body_blocks import PhotoBlock, ReadAlsoBlock, parse_block
from articles.images import thumbnail_url
from articles.models import Article, Photo


def photo_choice(photo: Photo) -> dict:
    """A photo as the picker lists it and the editor's photo node shows it."""
    return {
        "id": photo.pk,
        "thumb": thumbnail_url(photo),
        "caption": photo.caption,
        "credit": photo.credit_line,
        "alt": photo.alt_text,
        "width": photo.width,
        "height": photo.height,
    }


def article_choice(article: Article) -> dict:
    """An article as the "Read also" autocomplete lists it: headline, link and date only."""
    published = article.published_at
    return {
        "id": article.pk,
        "headline": article.headline,
        "url": article.get_absolute_url(),
        "published": f"{timezone.localtime(published):%d %b %Y}" if published else "",
    }


def _data(attrs: dict) -> str:
    return "".join(f' data-{name}="{escape(str(value))}"' for name, value in attrs.items())


def editor_body(html: str) -> str:
    """The stored body with display attributes on each embedded block, for the editor."""
    lines = (html or "").splitlines()
    blocks = [parse_block(line) for line in lines]
    photo_ids = [b.photo_id for b in blocks if isinstance(b, PhotoBlock)]
    article_ids = [b.article_id for b in blocks if isinstance(b, ReadAlsoBlock)]
    photos = Photo.objects.select_related("agency").in_bulk(photo_ids) if photo_ids else {}
    articles = Article.objects.in_bulk(article_ids) if article_ids else {}
    out = []
    for line, block in zip(lines, blocks, strict=True):
        if isinstance(block, PhotoBlock):
            shown = {"photo-id": block.photo_id}
            if block.caption:
                shown["caption"] = block.caption
            if block.credit:
                shown["credit"] = block.credit
            photo = photos.get(block.photo_id)
            if photo is not None:
                choice = photo_choice(photo)
                shown.update(
                    {
                        "thumb": choice["thumb"],
                        "library-caption": choice["caption"],
                        "library-credit": choice["credit"],
                        "alt": choice["alt"],
                    }
                )
            else:
                shown["missing"] = "1"
            out.append(f"<figure{_data(shown)}></figure>")
        elif isinstance(block, ReadAlsoBlock):
            shown = {"read-also": block.article_id}
            article = articles.get(block.article_id)
            if article is not None:
                shown["title"] = article.headline
            else:
                shown["missing"] = "1"
            out.append(f"<aside{_data(shown)}></aside>")
        else:
            out.append(line)
    return "\n".join(out)
