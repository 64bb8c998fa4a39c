from django.urls import path

from salama.accounts import views, views_security, webauthn

app_name = "accounts"
urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("switch/", views.switch_org, name="switch_org"),
    path("language/", views.set_language, name="set_language"),
    # Second factor, sessions and tokens (S1).
    path("verify/", views_security.second_factor, name="second_factor"),
    path("verify/app/", views_security.fallback, name="fallback"),
    path("security/", views_security.security, name="security"),
    path("security/sessions/end/", views_security.end_session, name="end_session"),
    path("security/tokens/revoke/", views_security.revoke_token, name="revoke_token"),
    path("security/keys/remove/", views_security.remove_key, name="remove_key"),
    path("members/", views_security.members, name="members"),
    path(
        "members/<int:member_id>/approve-app/",
        views_security.approve_fallback,
        name="approve_fallback",
    ),
    path("members/<int:member_id>/reset/", views_security.reset_factors, name="reset_factors"),
    # Managing members without the Django admin (S3).
    path("members/add/", views_security.add_member, name="add_member"),
    path("members/<int:member_id>/role/", views_security.set_role, name="set_member_role"),
    path("members/<int:member_id>/remove/", views_security.remove_member, name="remove_member"),
    path(
        "members/<int:member_id>/password/",
        views_security.set_password,
        name="set_member_password",
    ),
    path("webauthn/register/begin/", webauthn.key_begin, name="key_begin"),
    path("webauthn/register/complete/", webauthn.key_complete, name="key_complete"),
    path("webauthn/verify/begin/", webauthn.auth_begin, name="auth_begin"),
    path("webauthn/verify/complete/", webauthn.auth_complete, name="auth_complete"),
    path("jsi18n/", webauthn.jsi18n, name="jsi18n"),
]
