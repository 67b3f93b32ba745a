"""Account, plan and billing URLs.

The auth pages keep Django's global names (``login``, ``logout``,
``password_reset``...) because ``LOGIN_URL`` and the auth views refer to
them; everything else is in the ``subscriptions`` namespace.
"""

from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from . import views
from .forms import LoginForm, ResetPasswordForm

reader_urls = [
    path("akun/", views.account, name="account"),
    path("akun/langganan/<int:pk>/batal/", views.cancel, name="cancel"),
    path("akun/langganan/<int:pk>/lanjutkan/", views.resume, name="resume"),
    path("akun/langganan/<int:pk>/ganti-paket/", views.change_plan, name="change_plan"),
    path("langganan/", views.plans, name="plans"),
    path("langganan/beli/<slug:code>/", views.checkout_start, name="checkout"),
    path("langganan/demo-bayar/<uuid:session_id>/", views.demo_checkout, name="demo_checkout"),
    path("billing/webhooks/<slug:provider>/", views.webhook, name="webhook"),
]

urlpatterns = [
    path("akun/masuk/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("akun/keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("akun/daftar/", views.signup, name="signup"),
    path(
        "akun/sandi/lupa/",
        auth_views.PasswordResetView.as_view(
            form_class=ResetPasswordForm, success_url=reverse_lazy("password_reset_done")
        ),
        name="password_reset",
    ),
    path(
        "akun/sandi/terkirim/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "akun/sandi/atur/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "akun/sandi/selesai/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("", include((reader_urls, "subscriptions"))),
]
