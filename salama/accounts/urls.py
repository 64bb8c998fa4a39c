from django.urls import path

from salama.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("switch/", views.switch_org, name="switch_org"),
    path("language/", views.set_language, name="set_language"),
]
