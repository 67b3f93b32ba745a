"""The paywall rules in the admin: their history, a new version, a rollback.

Subscription staff and the chief editor hold ``paywall.view_ruleset`` and
``paywall.add_ruleset`` (``core.roles``); other roles get a 403. Versions are
never edited or deleted (the model has no such permissions): a change is a
new version from the form below, after a what-if of its effect; a rollback is
a new version copying an older one. Every write goes through
``paywall.rulesets``.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Subquery
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .forms import RuleSetChange
from .models import Experiment, ExperimentStatus, RuleOverride, RuleSet
from .rules import PaywallRules, Period, current_rules
from .rulesets import rules_what_if, ruleset_create, ruleset_rollback


def rules_summary(rules: PaywallRules) -> str:
    """One line: allowances, period, teaser, age rule, overrides."""
    period = (
        _("%(n)s rolling days") % {"n": rules.period_days}
        if rules.period == Period.ROLLING_DAYS
        else _("calendar month")
    )
    parts = [
        _("anonymous %(a)s, registered %(r)s a %(p)s")
        % {"a": rules.anonymous_allowance, "r": rules.registered_allowance, "p": period},
        _("teaser %(n)s blocks") % {"n": rules.teaser_blocks},
        _("cookie-less: %(c)s") % {"c": rules.cookieless},
    ]
    if rules.premium_metered_hours:
        parts.append(_("premium metered %(h)s h") % {"h": rules.premium_metered_hours})
    for override in rules.overrides:
        days = f" {override.days} d" if override.days else ""
        parts.append(f"{override.target} {override.slug}: {override.kind}{days}")
    return "; ".join(str(part) for part in parts)


class RuleOverrideInline(admin.TabularInline):
    model = RuleOverride
    fields = ("target", "slug", "kind", "days")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("paywall.view_ruleset")


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    list_display = ("__str__", "effective_from", "state", "summary", "created_by", "why")
    list_select_related = ("created_by",)
    inlines = [RuleOverrideInline]
    fields = (
        "number",
        "effective_from",
        "anonymous_allowance",
        "registered_allowance",
        "period",
        "period_days",
        "teaser_blocks",
        "cookieless",
        "network_allowance",
        "premium_metered_hours",
        "why",
        "created_by",
        "created_at",
        "copied_from",
    )
    readonly_fields = fields

    # --- Permissions: versions are added, never changed or deleted ---------------------

    def has_add_permission(self, request):
        return request.user.has_perm("paywall.add_ruleset")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # --- The history ---------------------------------------------------------------------

    def get_queryset(self, request):
        # Which version is in force: one subquery for every row, no query per row.
        in_force = RuleSet.objects.active(at=timezone.now()).values("pk")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(in_force_pk=Subquery(in_force))
            .prefetch_related("overrides")
        )

    @admin.display(description=_("state"))
    def state(self, obj: RuleSet) -> str:
        if obj.pk == obj.in_force_pk:
            return _("in force")
        if obj.effective_from > timezone.now():
            return _("scheduled")
        return ""

    @admin.display(description=_("rules"))
    def summary(self, obj: RuleSet) -> str:
        return rules_summary(obj.as_rules())

    def _warn_if_experiment_runs(self, request) -> None:
        """While an experiment runs, its readers read under their arm's version:
        a new version reaches them only once it stops (``paywall.experiments``)."""
        experiment = Experiment.objects.filter(status=ExperimentStatus.RUNNING).first()
        if experiment is not None:
            self.message_user(
                request,
                _(
                    "The experiment \u201c%(name)s\u201d is running: its readers read under "
                    "their arm's rules version, so a new version reaches them only once "
                    "the experiment is stopped. Readers outside it get the new version "
                    "when it comes into force."
                )
                % {"name": experiment.name},
                messages.WARNING,
            )

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            self._warn_if_experiment_runs(request)
        rules = current_rules()
        extra = {"rules_in_force": rules_summary(rules), "rules_are_defaults": rules.from_settings}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        ruleset = RuleSet.objects.filter(pk=object_id).first()
        if ruleset is not None and self.has_add_permission(request):
            current = current_rules()
            target = ruleset.as_rules()
            extra["can_roll_back"] = target.version != current.version
            extra["rollback_url"] = reverse("admin:paywall_ruleset_rollback", args=[ruleset.pk])
            extra["what_if"] = rules_what_if(current=current, proposed=target)
        return super().change_view(request, object_id, form_url, extra)

    # --- A new version, and a rollback ---------------------------------------------------

    def get_urls(self):
        own = [
            path(
                "<int:object_id>/rollback/",
                self.admin_site.admin_view(self.rollback_view),
                name="paywall_ruleset_rollback",
            )
        ]
        return own + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        """The form, then its what-if; "save" only once the what-if of exactly
        these values was shown."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        now = timezone.now()
        current = current_rules(now=now)
        data = request.POST if request.method == "POST" else None
        if data is None:
            self._warn_if_experiment_runs(request)
        change = RuleSetChange.bind(data, initial=current, effective_from=timezone.localtime(now))
        what_if = None
        previewed = False
        if data is not None and change.is_valid():
            what_if = rules_what_if(current=current, proposed=change.rules, now=now)
            fingerprint = change.fingerprint()
            if "_save" in data and data.get("previewed") == fingerprint:
                try:
                    ruleset = ruleset_create(
                        rules=change.rules,
                        why=change.form.cleaned_data["why"],
                        by=request.user,
                        effective_from=change.form.cleaned_data["effective_from"],
                    )
                except ValidationError as error:
                    change.add_errors(error)
                    what_if = None
                else:
                    self.message_user(
                        request,
                        _("Saved as %(version)s, in force from %(when)s.")
                        % {
                            "version": ruleset,
                            "when": timezone.localtime(ruleset.effective_from).strftime(
                                "%Y-%m-%d %H:%M"
                            ),
                        },
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:paywall_ruleset_changelist"))
            if what_if is not None:
                previewed = fingerprint
        context = {
            **self.admin_site.each_context(request),
            "title": _("New paywall rules version"),
            "opts": self.model._meta,
            "change": change,
            "media": self.media + change.media,
            "what_if": what_if,
            "previewed": previewed,
            "rules_in_force": rules_summary(current),
        }
        return TemplateResponse(request, "admin/paywall/ruleset/add_form.html", context)

    def rollback_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_add_permission(request):
            raise PermissionDenied
        target = get_object_or_404(RuleSet, pk=object_id)
        try:
            ruleset = ruleset_rollback(to=target, by=request.user, why=request.POST.get("why", ""))
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:paywall_ruleset_change", args=[target.pk]))
        self.message_user(
            request,
            _("%(new)s puts the rules of %(old)s back in force.") % {"new": ruleset, "old": target},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:paywall_ruleset_changelist"))
