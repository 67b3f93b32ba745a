"""How the API knows who is calling: a bearer token (with a scope) or the session.

``TokenAuth("write")`` lets through a token that carries the scope; a valid
token without it is refused with 403 (it is the right caller, not the right
key). The token's user becomes ``request.user``, so the access decision, the
services' ``has_perm`` checks and the rate limit see the same person.
"""

from ninja.errors import AuthorizationError
from ninja.security import HttpBearer, SessionAuth

from .services import token_authenticate


class TokenAuth(HttpBearer):
    """``Authorization: Bearer nr_…`` with a required scope."""

    openapi_description = "A personal API token (`nr_…`); each token carries scopes."

    def __init__(self, scope: str):
        self.scope = scope
        super().__init__()

    def authenticate(self, request, token: str):
        api_token = token_authenticate(token)
        if api_token is None:
            return None
        if not api_token.has_scope(self.scope):
            raise AuthorizationError(message=f"This token lacks the '{self.scope}' scope.")
        request.user = api_token.user
        request.api_token = api_token
        return api_token


class OptionalCredentials:
    """Public endpoints: anyone may call, but credentials that were sent must be good.

    Without an ``Authorization`` header the caller is whoever the session says
    (often nobody); with one that ``TokenAuth`` rejected, this refuses too, so
    a revoked token gets 401 instead of quietly reading as anonymous.
    """

    def __call__(self, request):
        if request.META.get("HTTP_AUTHORIZATION"):
            return None
        return "public"


session_auth = SessionAuth(csrf=True)

# Auth lists for routers and operations, from the most open to the most closed.
PUBLIC = [TokenAuth("read"), OptionalCredentials()]
READER = [TokenAuth("read"), session_auth]
EDITOR_READ = [TokenAuth("read")]
EDITOR_WRITE = [TokenAuth("write")]
EDITOR_PUBLISH = [TokenAuth("publish")]

# OpenAPI: public operations take a token but do not need one (``{}`` = no auth).
PUBLIC_SECURITY = {"security": [{}]}  # ninja appends this to the TokenAuth entry
