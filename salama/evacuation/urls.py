from django.urls import path

from salama.evacuation import views, views_movements

app_name = "evacuation"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.request_new, name="request_new"),
    path("requests/<int:request_id>/", views.request_detail, name="request"),
    path("requests/<int:request_id>/complete/", views.request_complete, name="request_complete"),
    path("requests/<int:request_id>/<slug:action>/", views.request_action, name="request_action"),
    path("movements/", views_movements.movement_list, name="movements"),
    path("movements/<int:movement_id>/", views_movements.movement_detail, name="movement"),
    path("movements/<int:movement_id>/manifest/", views_movements.manifest_print, name="manifest"),
    path(
        "movements/<int:movement_id>/<slug:action>/",
        views_movements.movement_action,
        name="movement_action",
    ),
    path("field/", views_movements.field, name="field"),
]
