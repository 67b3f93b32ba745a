"""The revenue desk on the admin index: one entry, for the roles that may see it.

The desk's pages are views of their own (``revenue.urls``, under
/admin/revenue/); this admin only lists the desk on the index, and its entry
(/admin/revenue/desk/) shows the overview.
"""

from django.contrib import admin

from .models import Desk
from .views import may_see_desk, page


@admin.register(Desk)
class DeskAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return may_see_desk(request.user)

    def has_view_permission(self, request, obj=None):
        return may_see_desk(request.user)

    def get_queryset(self, request):
        # ``Desk`` has no table: nothing may ever query it.
        return super().get_queryset(request).none()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not may_see_desk(request.user):
            return super().changelist_view(request, extra_context)  # the admin's 403
        return page(request, slug="overview")  # the index entry opens the overview
