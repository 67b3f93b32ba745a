"""Reader and staff forms."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from .models import Plan, Subscription


class CappedToColumns:
    """Caps each text field named after a user column at that column's length.

    The cap is a validator, so an over-long value is a form error before
    anything reads or writes with it. Django's login form sets the username's
    ``max_length`` only after the field is built, which adds no validator: a
    10,000-character username reached ``authenticate()``, and django-axes
    then wrote it to a 255-character column (a 500 on PostgreSQL). Django's
    ``EmailField`` allows 320 characters, the user's e-mail column 254.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        columns = {f.name: f for f in get_user_model()._meta.get_fields()}
        for name, field in self.fields.items():
            column = columns.get(name)
            limit = getattr(column, "max_length", None)
            if not isinstance(field, forms.CharField) or not limit:
                continue
            field.max_length = min(field.max_length or limit, limit)
            field.validators = [
                v for v in field.validators if not isinstance(v, MaxLengthValidator)
            ] + [MaxLengthValidator(field.max_length)]
            field.widget.attrs["maxlength"] = str(field.max_length)


class LoginForm(CappedToColumns, AuthenticationForm):
    """Django's login form, its username capped before ``authenticate()`` sees it."""


class StaffLoginForm(CappedToColumns, AdminAuthenticationForm):
    """The admin's login form, capped the same way (``admin.site.login_form``)."""


class ResetPasswordForm(CappedToColumns, PasswordResetForm):
    """Django's password reset form (already 254 for the e-mail; capped by the same rule)."""


class SignupForm(CappedToColumns, UserCreationForm):
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
