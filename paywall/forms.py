"""The form staff change the paywall rules with (``paywall.admin``).

It builds a ``PaywallRules`` and checks it with ``rulesets.rules_validate``,
the same check the service runs, so the admin, the shell and the tests
refuse the same things with the same messages.
"""

import hashlib
from dataclasses import dataclass

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from .rules import (
    Cookieless,
    Override,
    OverrideKind,
    OverrideTarget,
    PaywallRules,
    Period,
    override_targets,
)
from .rulesets import rules_validate

RULE_FIELDS = (
    "anonymous_allowance",
    "registered_allowance",
    "period",
    "period_days",
    "teaser_blocks",
    "cookieless",
    "network_allowance",
    "premium_metered_hours",
)


class RuleSetForm(forms.Form):
    anonymous_allowance = forms.IntegerField(
        label=_("Anonymous allowance"), help_text=_("Metered articles a visitor reads free.")
    )
    registered_allowance = forms.IntegerField(
        label=_("Registered allowance"),
        help_text=_("Metered articles a signed-in reader without a plan reads free."),
    )
    period = forms.ChoiceField(label=_("Meter period"), choices=Period.choices)
    period_days = forms.IntegerField(
        label=_("Days in the rolling period"),
        required=False,
        help_text=_("Only for a rolling period: the last N days, today included."),
    )
    teaser_blocks = forms.IntegerField(
        label=_("Teaser blocks"), help_text=_("Blocks of the body a gated reader sees.")
    )
    cookieless = forms.ChoiceField(
        label=_("Readers without the meter cookie"), choices=Cookieless.choices
    )
    network_allowance = forms.IntegerField(
        label=_("New meter ids per network per day"),
        help_text=_("With “count new meter ids per network”."),
    )
    premium_metered_hours = forms.IntegerField(
        label=_("Premium articles are metered for their first N hours"),
        required=False,
        help_text=_("Empty: premium articles are premium from the start."),
    )
    effective_from = forms.SplitDateTimeField(
        label=_("Effective from"),
        widget=AdminSplitDateTime,
        help_text=_("Now, or later to schedule the change."),
    )
    why = forms.CharField(
        label=_("Why"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the history."),
    )


def _target_choices() -> list:
    choices: list = [("", "---------")]
    for target in OverrideTarget:
        known = override_targets(target)
        if known is not None:
            options = [(f"{target}:{slug}", f"{name} ({slug})") for slug, name in known]
            choices.append((target.label, options))
    return choices


class OverrideForm(forms.Form):
    """One override; ``target`` is "section:<slug>" or "topic:<slug>"."""

    target = forms.CharField(label=_("Section or topic"))
    # A blank first choice: a browser posts a select's first option, and an unused
    # row must post nothing to stay unchanged (else it fails for want of a target).
    kind = forms.ChoiceField(
        label=_("Override"), choices=[("", "---------"), *OverrideKind.choices]
    )
    days = forms.IntegerField(label=_("Days (archive wall)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = _target_choices()
        if len(choices) > 1:
            self.fields["target"] = forms.ChoiceField(
                label=self.fields["target"].label, choices=choices
            )

    def clean_target(self) -> str:
        value = self.cleaned_data["target"]
        target, _sep, slug = value.partition(":")
        if target not in OverrideTarget.values or not slug:
            raise ValidationError(_("Choose a section or a topic."))
        return value

    def override(self) -> Override:
        target, _sep, slug = self.cleaned_data["target"].partition(":")
        return Override(
            target=OverrideTarget(target),
            slug=slug,
            kind=OverrideKind(self.cleaned_data["kind"]),
            days=self.cleaned_data.get("days"),
        )


OverrideFormSet = formset_factory(OverrideForm, extra=2, can_delete=True)


@dataclass
class RuleSetChange:
    """The rule set form and its overrides, validated together."""

    form: RuleSetForm
    overrides: forms.BaseFormSet
    override_errors: list
    rules: PaywallRules | None = None

    @classmethod
    def bind(cls, data=None, *, initial: PaywallRules, effective_from, why: str = ""):
        form_initial = {name: getattr(initial, name) for name in RULE_FIELDS}
        form_initial |= {"effective_from": effective_from, "why": why}
        overrides_initial = [
            {"target": f"{o.target}:{o.slug}", "kind": o.kind, "days": o.days}
            for o in initial.overrides
        ]
        return cls(
            form=RuleSetForm(data, initial=form_initial),
            overrides=OverrideFormSet(data, prefix="overrides", initial=overrides_initial),
            override_errors=[],
        )

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        valid = self.overrides.is_valid() and valid
        if not valid:
            return False
        data = self.form.cleaned_data
        overrides = tuple(
            form.override()
            for form in self.overrides.forms
            if form.has_changed() and not form.cleaned_data.get("DELETE")
        )
        self.rules = PaywallRules(
            anonymous_allowance=data["anonymous_allowance"],
            registered_allowance=data["registered_allowance"],
            teaser_blocks=data["teaser_blocks"],
            cookieless=Cookieless(data["cookieless"]),
            network_allowance=data["network_allowance"],
            period=Period(data["period"]),
            period_days=data["period_days"] if data["period"] == Period.ROLLING_DAYS else None,
            premium_metered_hours=data["premium_metered_hours"],
            overrides=overrides,
            version="proposed",
        )
        try:
            rules_validate(self.rules)
        except ValidationError as error:
            self.add_errors(error)
            return False
        return True

    def add_errors(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            if field == "overrides":
                self.override_errors.extend(messages)
            else:
                self.form.add_error(field if field in self.form.fields else None, messages)

    def fingerprint(self) -> str:
        """Names exactly what was submitted, so "save" can require that its what-if was seen."""
        data = self.form.cleaned_data
        seen = repr((self.rules, data["effective_from"].isoformat(), data["why"].strip()))
        return hashlib.sha256(seen.encode()).hexdigest()[:16]

    @property
    def media(self):
        return self.form.media + self.overrides.media
