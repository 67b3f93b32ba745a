"""The one rule for caching what a reader was shown: ``cache_policy``.

A response may be kept by a shared cache (a CDN, nginx) only when every
reader who could send the same request gets the same bytes. That holds for
an anonymous reader's free article or gated teaser, and for teaser surfaces
(lists, feeds, search) seen anonymously. It never holds for entitled text, for
anything that shows one reader's meter, for a crawler's answer, or for any
signed-in reader's page: those are ``private``.

The page cache (``pagecache``) keeps rendered pages per ``cache_class`` and
``variant``; two readers with the same pair get byte-identical HTML. The
cache class is the reader's (never the reader); the variant is the decision's.
"""

from dataclasses import dataclass

from django.conf import settings

from .policy import AccessDecision, Surface
from .rights import CacheClass, ReaderRights

PRIVATE = "private, max-age=0, must-revalidate"
NO_STORE = "private, no-store"


@dataclass(frozen=True)
class CachePolicy:
    shareable: bool  # may a shared cache keep it for every anonymous reader?
    cache_control: str
    cache_class: str  # what a page cache entry is kept per
    variant: str  # which of the entry's variants this response is
    vary: tuple[str, ...]

    def apply(self, response, *, tags: list[str] | None = None):
        """Set the headers on ``response`` (and surrogate keys a CDN purges by)."""
        response["Cache-Control"] = self.cache_control
        if tags:
            response["Surrogate-Key"] = " ".join(tags)
            response["Cache-Tag"] = ",".join(tags)
        if self.vary:
            from django.utils.cache import patch_vary_headers

            patch_vary_headers(response, self.vary)
        return response

    def headers(self, *, tags: list[str] | None = None) -> dict:
        """The same headers as a dict (what the page cache stores with a page)."""
        headers = {"Cache-Control": self.cache_control}
        if tags:
            headers["Surrogate-Key"] = " ".join(tags)
            headers["Cache-Tag"] = ",".join(tags)
        return headers


def public_cache_control(surface: Surface) -> str:
    if surface == Surface.FEED:
        return f"public, max-age=300, s-maxage={settings.HTTP_CACHE_S_MAXAGE}"
    return f"public, max-age={settings.HTTP_CACHE_MAX_AGE}, s-maxage={settings.HTTP_CACHE_S_MAXAGE}"


def cache_policy(
    decision: AccessDecision | None, *, rights: ReaderRights, surface: Surface
) -> CachePolicy:
    """How a response built from ``decision`` for ``rights`` on ``surface`` may be cached.

    ``decision`` is None for pages that show no article text beyond teasers
    decided per card (home, section lists): those vary by cache class only.
    """
    variant = decision.cache_variant if decision is not None else "-"
    if surface == Surface.PREVIEW:
        return CachePolicy(False, NO_STORE, rights.cache_class, variant, ())
    shareable = rights.cache_class == CacheClass.ANONYMOUS and not (
        decision is not None and decision.per_reader
    )
    if shareable:
        return CachePolicy(True, public_cache_control(surface), rights.cache_class, variant, ())
    return CachePolicy(False, PRIVATE, rights.cache_class, variant, ("Cookie",))
