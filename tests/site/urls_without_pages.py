"""A URL configuration with no reader pages (``test_fastpath``: a resolved path
kept by the fast path is forgotten when the URLs change)."""

urlpatterns: list = []
