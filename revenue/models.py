"""The revenue desk has no tables of its own: it reads subscriptions, payments,
the funnel, attribution and the paywall's meter and rules.

``Desk`` exists only to hold the permission that opens the desk
(``revenue.view_desk``, given to subscription staff and the chief editor in
``core.roles``) and to put the desk on the admin index. It is not managed:
no table is created for it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NoRows(models.Manager):
    """``Desk`` has no table: every query of it is empty and never reaches the database."""

    def get_queryset(self):
        return super().get_queryset().none()


class Desk(models.Model):
    objects = NoRows()

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_desk", _("Can see the revenue desk"))]
        verbose_name = _("revenue desk")
        verbose_name_plural = _("revenue desk")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
