from django.urls import path

from salama.rollcalls import views

app_name = "rollcalls"
urlpatterns = [
    path("", views.index, name="index"),
    path("answer", views.answer, name="answer"),
    path("<int:rollcall_number>/", views.live_page, name="live_page"),
    path("<int:rollcall_number>/live", views.live, name="live"),
    path("<int:rollcall_number>/close", views.close, name="close"),
    path("<int:rollcall_number>/accept/<int:recipient_id>", views.accept, name="accept"),
    path("<int:rollcall_number>/accept-all", views.accept_all, name="accept_all"),
    path("duress/<int:person_id>", views.duress_form, name="duress_form"),
    path("settings", views.settings_page, name="settings"),
    path("a/<str:link_token>", views.link_answer, name="link"),
]
