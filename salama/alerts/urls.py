from django.urls import path

from salama.alerts import views, views_responders

app_name = "alerts"
urlpatterns = [
    path("", views.duty, name="duty"),
    path("live", views.duty_live, name="duty_live"),
    path("rota", views.rota_page, name="rota"),
    path("rota/<int:shift_id>/remove", views.shift_remove, name="shift_remove"),
    path("handover", views.handover, name="handover"),
    path("responders/", views_responders.responders, name="responders"),
    path("responders/remove/", views_responders.responder_remove, name="responder_remove"),
    path("silence/<int:person_id>", views.silence, name="silence"),
    path("<int:alert_number>/", views.detail, name="detail"),
    path("<int:alert_number>/acknowledge", views.acknowledge, name="acknowledge"),
    path("<int:alert_number>/close", views.close, name="close"),
    path("<int:alert_number>/note", views.note, name="note"),
]
