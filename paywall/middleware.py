"""The anonymous meter cookie: a signed meter id, never a count."""

from django.conf import settings
from django.utils import timezone
from django.utils.cache import patch_cache_control

from . import meter

MAX_AGE = 400 * 24 * 3600  # the longest lifetime browsers accept


class MeterCookieMiddleware:
    """Put the verified meter id on ``request.meter_key``; set the cookie when one is issued.

    A cookie whose signature fails was edited or forged. Its reader gets a new
    meter id that starts the period with no free reads left (``meter`` marks
    it), so tampering can never hand out a fresh allowance. A new visitor gets
    no cookie until their first metered read (``reading.open_article`` issues
    it), which keeps ordinary pages cookie-free and cacheable.

    It also enforces the caching rule on every surface that asked
    ``reading.open_article``: a response carrying entitled or metered text is
    ``Cache-Control: private`` whatever the view set.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.meter_key = None
        request.meter_cookie_value = None
        try:
            request.meter_key = meter.meter_key_from_cookie(request)
        except meter.ForgedMeterCookie:
            key = meter.new_anonymous_key(exhausted_in=meter.local_date(timezone.now()))
            request.meter_key = key
            request.meter_cookie_value = key
        request.paywall_private = False
        response = self.get_response(request)
        if request.paywall_private:
            # Text only this reader may see: no shared cache may keep it.
            patch_cache_control(response, private=True)
        if request.meter_cookie_value:
            response.set_cookie(
                settings.PAYWALL_METER_COOKIE,
                meter.sign_meter_key(request.meter_cookie_value),
                max_age=MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=not settings.DEBUG,
            )
            # A response that sets someone's meter id must never be shared.
            patch_cache_control(response, private=True)
        return response
