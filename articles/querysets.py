from datetime import timedelta

from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from paywall.rights import AccessLevel
from paywall.rules import OverrideKind, OverrideTarget, PaywallRules

from .liveness import live_q

# What search reads (the full-text vectors and the body as plain text) stays
# in the database unless a search asks for it.
SEARCH_VECTORS = ("search_title", "search_body", "search_periods", "body_text")


class ArticleQuerySet(models.QuerySet):
    def published(self, *, at=None):
        """Articles a reader may find now: published, past embargo, not expired."""
        return self.filter(live_q(at=at))

    def for_listing(self):
        """What a teaser card needs, in the same query (no N+1 on lists)."""
        return self.select_related("section", "lead_photo", "lead_photo__agency")

    def with_effective_level(self, *, rules: PaywallRules, now):
        """Annotate ``effective_level``: the access level under ``rules`` at ``now``.

        The same rule as ``paywall.policy.effective_level``, as SQL, for filters
        over many articles (search matches body text only where the reader may
        read it outright); ``tests/paywall/test_rules_policy.py`` holds the two
        to the same answers.
        """
        overrides = {kind: [] for kind in OverrideKind}
        for override in rules.overrides:
            if override.target == OverrideTarget.SECTION:
                match = Q(section__slug=override.slug)
            else:
                tagged = self.model.topics.through.objects.filter(topic__slug=override.slug)
                match = Q(pk__in=tagged.values("article_id"))
            if override.kind == OverrideKind.ARCHIVE_WALL:
                match &= Q(published_at__lte=now - timedelta(days=override.days))
            overrides[override.kind].append(match)

        def any_of(matches: list) -> Q:
            found = Q()
            for match in matches:
                found |= match
            return found

        young_premium = None
        if rules.premium_metered_hours:
            young = Q(published_at__gt=now - timedelta(hours=rules.premium_metered_hours)) | Q(
                published_at__isnull=True
            )
            young_premium = Q(access_level=AccessLevel.PREMIUM) & young
        whens = []
        if overrides[OverrideKind.FREE]:
            whens.append(When(any_of(overrides[OverrideKind.FREE]), then=Value(AccessLevel.FREE)))
        if overrides[OverrideKind.ARCHIVE_WALL]:
            whens.append(
                When(
                    any_of(overrides[OverrideKind.ARCHIVE_WALL]),
                    then=Value(AccessLevel.PREMIUM),
                )
            )
        if overrides[OverrideKind.REGISTRATION_ONLY]:
            opened = Q(access_level__in=[AccessLevel.FREE, AccessLevel.METERED])
            if young_premium is not None:
                opened |= young_premium
            whens.append(
                When(
                    any_of(overrides[OverrideKind.REGISTRATION_ONLY]) & opened,
                    then=Value(AccessLevel.REGISTERED),
                )
            )
        if young_premium is not None:
            whens.append(When(young_premium, then=Value(AccessLevel.METERED)))
        level = F("access_level")
        if whens:
            level = Case(*whens, default=level, output_field=models.CharField())
        return self.annotate(effective_level=level)

    def due(self, *, at=None):
        """Scheduled articles whose publish time has come."""
        now = at or timezone.now()
        return self.filter(status="scheduled", publish_at__lte=now)


class ArticleManager(models.Manager.from_queryset(ArticleQuerySet)):
    """The default manager: every query leaves the (large) search fields unread."""

    def get_queryset(self):
        return super().get_queryset().defer(*SEARCH_VECTORS)
