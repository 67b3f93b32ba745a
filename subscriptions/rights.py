"""A request's ``ReaderRights``: what the paywall knows of the reader, built once.

The paywall decides from rights and never looks up accounts or plans; this
module is where a signed-in reader's entitlements (their current
subscriptions) become rights, and where an anonymous reader's meter id and
crawler kind are read from the request.
"""

from paywall.crawlers import classify
from paywall.experiments import pin_from_session
from paywall.rights import ANONYMOUS, ReaderRights, signed_in

from .entitlements import entitlements_for

_ATTRIBUTE = "_reader_rights"


def reader_rights(request) -> ReaderRights:
    """The rights of the reader behind ``request`` (computed once per request)."""
    cached = getattr(request, _ATTRIBUTE, None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # The meter id the browser still carries and the session's arm pin
        # bucket a signed-in reader in an experiment (``paywall.experiments``).
        session = getattr(request, "session", None)
        rights = signed_in(
            user_id=user.pk,
            entitlements=entitlements_for(user),
            is_staff=user.is_staff,
            browser_key=getattr(request, "meter_key", None),
            arm_pin=pin_from_session(session) if session is not None else None,
        )
    else:
        rights = ReaderRights(
            meter_key=getattr(request, "meter_key", None), crawler=classify(request)
        )
    setattr(request, _ATTRIBUTE, rights)
    return rights


def rights_for_user(user, *, now=None) -> ReaderRights:
    """The rights of an account outside a request (e-mail, the API's ``/me``)."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    return signed_in(
        user_id=user.pk, entitlements=entitlements_for(user, now=now), is_staff=user.is_staff
    )
