"""Per-user API tokens: stored hashed, scoped, revocable.

A token reads ``nr_<prefix>_<secret>``. Only the prefix (to find the row) and
a SHA-256 of the whole token are stored, so a database leak gives no usable
token. The secret is 32 random bytes, so a fast hash is enough (a slow
password hash protects low-entropy secrets, which these are not).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    READ = "read", _("Read (the reader's own data, entitled content)")
    WRITE = "write", _("Write (create and edit drafts, upload photos, submit)")
    PUBLISH = "publish", _("Publish (schedule and publish)")


class ApiTokenQuerySet(models.QuerySet):
    def active(self, *, at=None):
        """Tokens that authenticate now: not revoked, not expired."""
        now = at or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """One API credential of one user, limited to its scopes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=80, help_text=_("What or who uses it."))
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False, verbose_name=_("key hash"))
    scopes = models.JSONField(
        _("scopes"), default=list, help_text=", ".join(value for value, _ in Scope.choices)
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} (nr_{self.prefix}_…)"

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    def is_active(self, *, at=None) -> bool:
        now = at or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
