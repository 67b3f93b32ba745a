"""The reader's own API tokens: list and revoke (creation is in the admin and
``manage.py api_token_create``, where the secret can be shown once)."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from core.api_http import mark_personal
from core.api_schemas import ERRORS, id_path

from .auth import READER
from .models import ApiToken
from .services import token_revoke

router = Router(tags=["tokens"], auth=READER)


class TokenOut(Schema):
    """One of your API tokens; the secret itself is never shown again."""

    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenListOut(Schema):
    """Your API tokens, newest first."""

    items: list[TokenOut]


def present_token(token: ApiToken) -> dict:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "scopes": list(token.scopes or []),
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }


@router.get("/me/tokens", response={200: TokenListOut, **ERRORS}, summary="My tokens")
def my_tokens(request):
    """Every token of the signed-in user, revoked ones included."""
    mark_personal(request)
    return {"items": [present_token(t) for t in ApiToken.objects.filter(user=request.user)]}


@router.delete(
    "/me/tokens/{token_id}",
    response={200: TokenOut, **ERRORS},
    summary="Revoke one of my tokens",
)
def revoke_my_token(request, token_id: int = id_path("token")):
    """Revoke a token at once; someone else's token id is "not found"."""
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    return present_token(token_revoke(token=token))
