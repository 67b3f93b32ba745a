"""Staff tools: plans, subscribers, subscriptions, payments, webhook events, audit trail.

Every change to a subscription or payment goes through ``services/`` (actions
with a required reason), never through an editable form field, so the admin
writes the same audit entries as everything else.
"""

from django.contrib import admin, messages
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .forms import CompForm, ExtendForm, ReasonForm, StaffCancelForm, StaffLoginForm
from .models import AuditEntry, Payment, Plan, Subscriber, Subscription, WebhookEvent
from .services.common import SubscriptionError
from .services.payments import payment_refund
from .services.staff import staff_cancel, staff_comp, staff_extend

# Staff sign in through the admin's login page: cap its username like the
# readers' (see ``forms.CappedToColumns``). Set here, where the account forms
# live; it would sit as well next to ``site_header`` in ``newsroom/urls.py``.
admin.site.login_form = StaffLoginForm


def _with_form(modeladmin, request, queryset, *, form_class, title, action, apply):
    """Run ``apply(obj, cleaned_data)`` for each selected row once the reason form is valid."""
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            done = 0
            for obj in queryset:
                try:
                    apply(obj, form.cleaned_data)
                    done += 1
                except SubscriptionError as exc:
                    modeladmin.message_user(
                        request, f"{obj}: {' '.join(exc.messages)}", messages.ERROR
                    )
            modeladmin.message_user(request, _("%(n)d done.") % {"n": done}, messages.SUCCESS)
            return None
    else:
        form = form_class()
    return TemplateResponse(
        request,
        "admin/subscriptions/action_form.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "form": form,
            "queryset": queryset,
            "action": action,
            "opts": modeladmin.model._meta,
        },
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "price_monthly", "price_yearly", "trial_days", "is_active"]
    list_editable = ["is_active"]
    search_fields = ["name", "code"]


class SubscriptionInline(ReadOnlyInline):
    model = Subscription
    fk_name = "user"
    fields = ["plan", "status", "current_period_end", "cancel_at_period_end", "provider"]


class PaymentInline(ReadOnlyInline):
    model = Payment
    fk_name = "user"
    fields = ["created_at", "kind", "status", "amount", "description", "provider"]


class AuditInline(ReadOnlyInline):
    model = AuditEntry
    fk_name = "user"
    fields = ["created_at", "action", "source", "actor", "reason", "before", "after"]


class WebhookInline(ReadOnlyInline):
    model = WebhookEvent
    fk_name = "user"
    fields = ["received_at", "provider", "type", "event_id", "status"]


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    """Find a reader by e-mail or name and see everything about their subscription."""

    list_display = ["username", "email", "first_name", "last_name", "subscription_count"]
    search_fields = ["email", "username", "first_name", "last_name"]
    fields = ["username", "email", "first_name", "last_name", "date_joined", "last_login"]
    readonly_fields = fields
    inlines = [SubscriptionInline, PaymentInline, AuditInline, WebhookInline]
    actions = ["comp"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_subs=Count("subscriptions"))

    @admin.display(description=_("subscriptions"), ordering="n_subs")
    def subscription_count(self, obj):
        return obj.n_subs

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Comp a plan (free for some days)"), permissions=["change"])
    def comp(self, request, queryset):
        now = timezone.now()
        return _with_form(
            self,
            request,
            queryset,
            form_class=CompForm,
            title=_("Comp a plan"),
            action="comp",
            apply=lambda user, data: staff_comp(
                user=user,
                plan=data["plan"],
                days=data["days"],
                actor=request.user,
                reason=data["reason"],
                now=now,
            ),
        )


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = [
        "user",
        "plan",
        "status",
        "current_period_end",
        "cancel_at_period_end",
        "provider",
    ]
    list_filter = ["status", "plan", "provider", "cancel_at_period_end"]
    search_fields = [
        "user__email",
        "user__username",
        "user__first_name",
        "user__last_name",
        "provider_subscription_id",
    ]
    list_select_related = ["user", "plan"]
    actions = ["extend", "cancel"]
    inlines = []

    @admin.action(description=_("Extend the current period"), permissions=["change"])
    def extend(self, request, queryset):
        now = timezone.now()
        return _with_form(
            self,
            request,
            queryset,
            form_class=ExtendForm,
            title=_("Extend subscriptions"),
            action="extend",
            apply=lambda sub, data: staff_extend(
                subscription_id=sub.pk,
                days=data["days"],
                actor=request.user,
                reason=data["reason"],
                now=now,
            ),
        )

    @admin.action(description=_("Cancel"), permissions=["change"])
    def cancel(self, request, queryset):
        now = timezone.now()
        return _with_form(
            self,
            request,
            queryset,
            form_class=StaffCancelForm,
            title=_("Cancel subscriptions"),
            action="cancel",
            apply=lambda sub, data: staff_cancel(
                subscription_id=sub.pk,
                actor=request.user,
                reason=data["reason"],
                now=now,
                immediately=data["immediately"],
            ),
        )


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "kind", "status", "amount", "provider", "description"]
    list_filter = ["kind", "status", "provider"]
    search_fields = ["user__email", "user__username", "provider_payment_id"]
    list_select_related = ["user"]
    actions = ["refund"]

    @admin.action(description=_("Refund in full"), permissions=["change"])
    def refund(self, request, queryset):
        now = timezone.now()
        return _with_form(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title=_("Refund payments"),
            action="refund",
            apply=lambda payment, data: payment_refund(
                payment_id=payment.pk, actor=request.user, reason=data["reason"], now=now
            ),
        )


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "provider", "type", "event_id", "status", "attempts"]
    list_filter = ["provider", "status", "type"]
    search_fields = ["event_id", "type"]
    actions = ["reprocess"]

    @admin.action(description=_("Process again now"), permissions=["change"])
    def reprocess(self, request, queryset):
        from .tasks import process_webhook_event

        for pk in queryset.values_list("pk", flat=True):
            process_webhook_event.delay(pk)
        self.message_user(request, _("Queued."), messages.SUCCESS)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "action", "source", "actor", "reason"]
    list_filter = ["action", "source"]
    search_fields = ["user__email", "user__username", "reason"]
    list_select_related = ["user", "actor"]
