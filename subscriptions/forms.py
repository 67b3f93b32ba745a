"""Reader and staff forms."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from .models import Plan, Subscription


class SignupForm(UserCreationForm):
    """A free account: a username, an e-mail address (for password resets) and a password."""

    email = forms.EmailField(label=_("E-mail"), required=True)
    first_name = forms.CharField(label=_("Name"), max_length=150, required=False)

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email", "first_name")

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this e-mail already exists."))
        return email


class CheckoutForm(forms.Form):
    billing_period = forms.ChoiceField(
        choices=Subscription.Period.choices, initial=Subscription.Period.MONTH
    )


class ChangePlanForm(forms.Form):
    plan = forms.ModelChoiceField(
        queryset=Plan.objects.filter(is_active=True), to_field_name="code"
    )


class ReasonForm(forms.Form):
    """Staff actions: the reason is required and lands in the audit trail."""

    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("A reason is required."))
        return reason


class ExtendForm(ReasonForm):
    days = forms.IntegerField(label=_("Days"), min_value=1, max_value=3660, initial=30)


class CompForm(ExtendForm):
    plan = forms.ModelChoiceField(queryset=Plan.objects.all(), label=_("Plan"))


class StaffCancelForm(ReasonForm):
    immediately = forms.BooleanField(
        label=_("End access now (otherwise at the end of the paid period)"),
        required=False,
        initial=True,
    )
