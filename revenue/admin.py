"""The revenue desk on the admin index: one entry, for the roles that may see it.

The desk's pages are views of their own (``revenue.urls``, under
/admin/revenue/); this admin only lists the desk on the index and sends its
entry there.
"""

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse

from .models import Desk
from .views import may_see_desk


@admin.register(Desk)
class DeskAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return may_see_desk(request.user)

    def has_view_permission(self, request, obj=None):
        return may_see_desk(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not may_see_desk(request.user):
            return super().changelist_view(request, extra_context)  # the admin's 403
        return HttpResponseRedirect(reverse("revenue:overview"))
