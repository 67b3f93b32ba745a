from django.contrib.auth import views as auth_views
from django.urls import path

urlpatterns = [
    path("akun/masuk/", auth_views.LoginView.as_view(), name="login"),
    path("akun/keluar/", auth_views.LogoutView.as_view(), name="logout"),
]
