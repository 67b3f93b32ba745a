"""Every write to API tokens: create (the only time the secret is seen), revoke, touch."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from .models import ApiToken, Scope

TOKEN_PREFIX = "nr"  # noqa: S105 - a label, not a secret
# Writing last_used_at on every request would turn every API read into a write.
TOUCH_EVERY = timedelta(minutes=1)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(
    *, user, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns the row and the plaintext, shown once."""
    unknown = set(scopes) - set(Scope.values)
    if unknown or not scopes:
        raise ValidationError(
            {"scopes": f"Choose from {', '.join(Scope.values)}; unknown: {sorted(unknown)}"}
        )
    prefix = secrets.token_hex(6)
    raw = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        user=user,
        name=name,
        prefix=prefix,
        key_hash=hash_token(raw),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return token, raw


def token_revoke(*, token: ApiToken, now: datetime | None = None) -> ApiToken:
    """Revoke once; revoking again keeps the first time."""
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_authenticate(raw: str, *, now: datetime | None = None) -> ApiToken | None:
    """The active token ``raw`` names, with its user; ``None`` for anything else."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or len(parts[1]) > 16:
        return None
    now = now or timezone.now()
    token = (
        ApiToken.objects.active(at=now)
        .select_related("user")
        .filter(prefix=parts[1], user__is_active=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.key_hash, hash_token(raw)):
        return None
    if token.last_used_at is None or token.last_used_at < now - TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
