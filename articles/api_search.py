"""Search for the API until full-text search lands.

SWITCH AFTER MERGE: replace ``search_articles`` with ``articles.search``'s
query function. Only headline and dek are searched and quoted: searching the
body would reveal that gated paragraphs contain a word.
"""

from django.db.models import Q

from .models import Article


def search_articles(query: str, *, limit: int = 20):
    """Published articles whose headline or dek contains ``query``, newest first."""
    terms = query.split()[:8]
    condition = Q()
    for term in terms:
        condition &= Q(headline__icontains=term) | Q(dek__icontains=term)
    return Article.objects.published().for_listing().filter(condition)[:limit]


def snippet_for(article, *, length: int = 200) -> str:
    """A plain-text excerpt of what every reader may see: the dek, else the headline."""
    text = article.dek or article.headline
    return text if len(text) <= length else text[: length - 1].rsplit(" ", 1)[0] + "…"
