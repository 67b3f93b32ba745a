"""Pluggable notifications that an article went live.

``PIPELINE_NOTIFIERS`` lists notifier classes by dotted path; each one that is
configured becomes its own side effect (``notify:<name>``), so a failing
webhook is retried without e-mailing twice. A notice carries only what any
reader may see (headline, dek, link), never the body: the paywall holds on
every surface, notifications included.
"""

import json
import logging
import urllib.request
from dataclasses import asdict, dataclass
from functools import cache

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    article_id: int
    headline: str
    dek: str
    url: str
    section: str
    access_level: str
    published_at: str

    @classmethod
    def for_article(cls, article) -> "Notice":
        return cls(
            article_id=article.pk,
            headline=article.headline,
            dek=article.dek,
            url=f"{settings.SITE_URL}{article.get_absolute_url()}",
            section=article.section.name if article.section_id else "",
            access_level=article.access_level,
            published_at=article.published_at.isoformat() if article.published_at else "",
        )


class Notifier:
    """Base class: ``name`` names the side effect; ``send`` raises on failure."""

    name = "base"

    def is_configured(self) -> bool:
        return True

    def send(self, notice: Notice) -> None:
        raise NotImplementedError


class WebhookNotifier(Notifier):
    """POST the notice as JSON to each URL in ``PIPELINE_WEBHOOK_URLS``."""

    name = "webhook"
    timeout = 5

    def is_configured(self) -> bool:
        return bool(settings.PIPELINE_WEBHOOK_URLS)

    def send(self, notice: Notice) -> None:
        payload = json.dumps({"event": "article.published", **asdict(notice)}).encode()
        for url in settings.PIPELINE_WEBHOOK_URLS:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"Webhook URL must be http(s): {url!r}")
            request = urllib.request.Request(  # noqa: S310 - scheme checked above
                url,
                data=payload,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    # Receivers can drop repeats of the same publication.
                    "Idempotency-Key": f"article-{notice.article_id}-{notice.published_at}",
                },
            )
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                if not 200 <= response.status < 300:
                    raise RuntimeError(f"webhook {url} answered {response.status}")


class EmailNotifier(Notifier):
    """E-mail the notice to ``PIPELINE_NOTIFY_EMAILS`` (the desk, a newsletter tool)."""

    name = "email"

    def is_configured(self) -> bool:
        return bool(settings.PIPELINE_NOTIFY_EMAILS)

    def send(self, notice: Notice) -> None:
        send_mail(
            subject=f"[{settings.SITE_NAME}] {notice.headline}",
            message=f"{notice.headline}\n\n{notice.dek}\n\n{notice.url}\n",
            from_email=None,
            recipient_list=list(settings.PIPELINE_NOTIFY_EMAILS),
        )


@cache
def _load(path: str) -> Notifier:
    return import_string(path)()


def configured_notifiers() -> list[Notifier]:
    """The notifiers that are switched on and configured, in settings order."""
    notifiers = [_load(path) for path in settings.PIPELINE_NOTIFIERS]
    return [n for n in notifiers if n.is_configured()]


def notifier_named(name: str) -> Notifier:
    for path in settings.PIPELINE_NOTIFIERS:
        notifier = _load(path)
        if notifier.name == name:
            return notifier
    raise LookupError(f"No notifier named {name!r} in PIPELINE_NOTIFIERS")
