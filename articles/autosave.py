"""Autosave: an editor's unsaved change form, kept as a draft revision.

The change form posts its fields every 30 seconds and when the page is left
(``desk/static/desk/autosave.js`` → ``desk.editor_endpoints.autosave``). What
arrives is kept in ``DraftRevision`` (one per editor and article) and never
touches the article: not its body, status, version or revisions. The change
form offers it back after a crash or a closed tab; the editor's next real save
(``articles.services.article_save``) deletes it.

An autosave names the article version it was made from. If the article has
moved on (someone saved, or a revision was restored), the autosave is refused
(``AutosaveConflict``, a 409 for the page): a draft is never kept as if it
were newer than another editor's save. The check runs under the article's
row lock, the same lock a save takes, so the two cannot interleave.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import services
from .models import Article, DraftRevision
from .sanitize import clean_body

MAX_VALUES = 400  # posted values in one autosave (fields × choices)
MAX_VALUE_CHARS = 20_000  # one field's value; the body has its own cap
MAX_BODY_CHARS = 500_000


class AutosaveConflict(Exception):
    """The article was saved after the version the autosave started from."""

    def __init__(self, *, current_version: int, based_on_version: int):
        self.current_version = current_version
        self.based_on_version = based_on_version
        super().__init__(
            _(
                "This article was saved (version %(current)s) after the version you are "
                "editing (%(based)s). Your changes were not autosaved; nothing of the newer "
                "save is overwritten. Copy what you need and reload the article."
            )
            % {"current": current_version, "based": based_on_version}
        )


def clean_fields(fields, *, allowed: tuple[str, ...]) -> dict[str, list[str]]:
    """The posted fields an autosave keeps, as lists of strings; ``ValidationError`` says why not.

    Only the change form's own fields (``allowed``; a split date/time widget's
    ``_0``/``_1`` parts included) are kept; the body is sanitized as on save.
    """
    if not isinstance(fields, dict):
        raise ValidationError(_("“fields” must be an object of field names and values."))
    names = set(allowed) | {f"{name}_{part}" for name in allowed for part in (0, 1)}
    kept: dict[str, list[str]] = {}
    count = 0
    for name, value in fields.items():
        if name not in names:
            continue
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(item, str) for item in values):
            raise ValidationError(_("Field “%(name)s” must be text.") % {"name": name})
        if any("\x00" in item for item in values):
            raise ValidationError(_("Field “%(name)s” holds a NUL character.") % {"name": name})
        limit = MAX_BODY_CHARS if name == "body" else MAX_VALUE_CHARS
        if any(len(item) > limit for item in values):
            raise ValidationError(_("Field “%(name)s” is too long.") % {"name": name})
        count += len(values)
        if count > MAX_VALUES:
            raise ValidationError(_("Too many values."))
        kept[name] = values
    if "body" in kept:
        kept["body"] = [clean_body(kept["body"][0])] if kept["body"] else []
    if not kept:
        raise ValidationError(_("Nothing to autosave: no field of the article form was sent."))
    return kept


def autosave_store(
    *, article_id: int, by, based_on_version: int, fields: dict[str, list[str]], now: datetime
) -> DraftRevision:
    """Keep ``by``'s unsaved form for the article, replacing their earlier autosave.

    Refused with ``PermissionDenied`` when ``by`` may not edit the article and
    with ``AutosaveConflict`` when the article is no longer at ``based_on_version``.
    """
    with transaction.atomic():
        article = services.lock_article(article_id)
        if not services.can_edit(by, article):
            raise PermissionDenied(_("You may not edit this article."))
        if article.version != based_on_version:
            raise AutosaveConflict(
                current_version=article.version, based_on_version=based_on_version
            )
        draft, _created = DraftRevision.objects.update_or_create(
            article=article,
            author=by,
            defaults={"based_on_version": based_on_version, "data": fields, "saved_at": now},
        )
    return draft


def autosave_of(*, article: Article, user) -> DraftRevision | None:
    """``user``'s autosave of the article, if there is one to offer."""
    if not getattr(user, "is_authenticated", False):
        return None
    return DraftRevision.objects.filter(article=article, author=user).first()


def autosave_discard(*, article_id: int, user) -> bool:
    """Forget ``user``'s autosave of the article (after a save, or "Discard")."""
    deleted, _rows = DraftRevision.objects.filter(article_id=article_id, author=user).delete()
    return bool(deleted)
