"""Article search (PostgreSQL full-text with a SQLite fallback).

The reader site and the API implement search here; the pipeline calls
``index_article`` after a publish.
"""


def index_article(article) -> None:
    """Bring the search index up to date for one article."""
    return None
