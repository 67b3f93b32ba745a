"""The access-matrix readers are shared with the subscriptions tests."""

from tests.subscriptions.conftest import plans, readers  # noqa: F401 - fixtures
