"""The experiments admin (``/admin/paywall/experiment/``): create, start, stop,
promote, and the results per arm.

It lives here, not in ``paywall.admin``, because the results read the funnel
(``analytics``), which the paywall may not import; the model stays the
paywall's. Subscription staff and the chief editor hold the permissions
(``core.roles``): ``add_experiment`` to create, ``change_experiment`` to start,
stop and promote, ``view_experiment`` to see; other roles get a 403. Every
change goes through ``paywall.experiments`` (validated, audited in
``ExperimentLog``: who, when, why); the admin writes nothing itself, and
experiments are never deleted.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import formset_factory
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from paywall.experiments import (
    ArmSpec,
    experiment_create,
    experiment_promote,
    experiment_start,
    experiment_stop,
)
from paywall.models import Experiment, ExperimentStatus, RuleSet

from .experiments import experiment_results


class ExperimentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    hypothesis = forms.CharField(
        label=_("Hypothesis"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you expect, and why. Kept in the history."),
    )


class ArmForm(forms.Form):
    key = forms.SlugField(label=_("Key"), max_length=40, required=False)
    label = forms.CharField(label=_("Label"), max_length=80, required=False)
    ruleset = forms.ModelChoiceField(
        label=_("Rules version"), queryset=RuleSet.objects.all(), required=False
    )
    weight = forms.IntegerField(label=_("Share (%)"), required=False)

    def spec(self) -> ArmSpec | None:
        data = self.cleaned_data
        if not any(
            data.get(name) not in (None, "") for name in ("key", "label", "ruleset", "weight")
        ):
            return None  # an empty row
        return ArmSpec(
            key=data.get("key") or "",
            ruleset=data.get("ruleset"),
            weight=data.get("weight"),
            label=data.get("label") or "",
        )


ArmFormSet = formset_factory(ArmForm, extra=3)


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "arms_summary", "started_at", "stopped_at", "winner")
    list_filter = ("status",)
    fields = (
        "name",
        "hypothesis",
        "status",
        "created_by",
        "created_at",
        "started_by",
        "started_at",
        "stopped_by",
        "stopped_at",
        "winner",
        "promoted_ruleset",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("arms__ruleset")

    @admin.display(description=_("arms"))
    def arms_summary(self, obj: Experiment) -> str:
        return ", ".join(f"{arm.key} {arm.ruleset} {arm.weight}%" for arm in obj.arms.all())

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        own = [
            path(
                f"<int:object_id>/{action}/",
                self.admin_site.admin_view(self.action_view),
                {"action": action},
                name=f"paywall_experiment_{action}",
            )
            for action in ("start", "stop", "promote")
        ]
        return own + super().get_urls()

    # --- Creating ------------------------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        form = ExperimentForm(data)
        arms = ArmFormSet(data, prefix="arms")
        arm_errors: list[str] = []
        if data is not None and form.is_valid() and arms.is_valid():
            specs = [spec for spec in (f.spec() for f in arms.forms) if spec is not None]
            try:
                experiment = experiment_create(
                    name=form.cleaned_data["name"],
                    hypothesis=form.cleaned_data["hypothesis"],
                    arms=specs,
                    by=request.user,
                )
            except ValidationError as error:
                for field, messages_ in error.message_dict.items():
                    if field == "arms":
                        arm_errors.extend(messages_)
                    else:
                        for message in messages_:
                            form.add_error(field if field in form.fields else None, message)
            else:
                self.message_user(
                    request, _("Saved as a draft. Start it when ready."), messages.SUCCESS
                )
                return HttpResponseRedirect(
                    reverse("admin:paywall_experiment_change", args=[experiment.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("New experiment"),
            "opts": self.model._meta,
            "form": form,
            "arms": arms,
            "arm_errors": arm_errors,
            "has_errors": data is not None,
        }
        return TemplateResponse(request, "admin/paywall/experiment/add_form.html", context)

    # --- The page of one experiment: arms, results, trail, buttons -------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        experiment = Experiment.objects.filter(pk=object_id).first()
        extra = dict(extra_context or {})
        if experiment is not None and self.has_view_permission(request, experiment):
            extra["results"] = experiment_results(experiment)
            extra["trail"] = experiment.log.select_related("by", "ruleset")
            extra["can_change"] = self.has_change_permission(request, experiment)
            extra["experiment"] = experiment
            extra["start_url"] = reverse("admin:paywall_experiment_start", args=[experiment.pk])
            extra["stop_url"] = reverse("admin:paywall_experiment_stop", args=[experiment.pk])
            extra["promote_url"] = reverse("admin:paywall_experiment_promote", args=[experiment.pk])
            extra["statuses"] = ExperimentStatus
        return super().change_view(request, object_id, form_url, extra)

    def action_view(self, request, object_id, action):
        """Start, stop or promote (POST, with a "why")."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        experiment = get_object_or_404(Experiment, pk=object_id)
        if not self.has_change_permission(request, experiment):
            raise PermissionDenied
        why = request.POST.get("why", "")
        back = HttpResponseRedirect(
            reverse("admin:paywall_experiment_change", args=[experiment.pk])
        )
        try:
            if action == "start":
                experiment_start(experiment, by=request.user, why=why)
                done = _("Started: readers are now bucketed into its arms.")
            elif action == "stop":
                experiment_stop(experiment, by=request.user, why=why)
                done = _("Stopped: every reader gets the rules in force.")
            elif action == "promote":
                ruleset = experiment_promote(
                    experiment, arm=request.POST.get("arm", ""), by=request.user, why=why
                )
                done = _("Promoted: %(version)s is the rules in force.") % {"version": ruleset}
            else:
                return HttpResponseNotAllowed(["POST"])
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return back
        self.message_user(request, done, messages.SUCCESS)
        return back
