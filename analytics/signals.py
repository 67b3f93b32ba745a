"""Signal receivers of readership."""

import logging

from django.db import IntegrityError, transaction

logger = logging.getLogger(__name__)


def link_reader_at_login(sender, request, user, **kwargs) -> None:
    """At login (and sign-up, which logs in) the anonymous meter id the browser
    carried joins the account, so attribution follows the reader's earlier
    funnel events (``analytics.attribution.readers_of``)."""
    from .models import ReaderLink

    key = getattr(request, "meter_key", None) if request is not None else None
    if not key:
        return
    try:
        with transaction.atomic():
            ReaderLink.objects.get_or_create(reader=f"m:{key}"[:80], user=user)
    except IntegrityError:  # the same browser logging in twice at once
        logger.info("reader link for user %s already made", user.pk)
