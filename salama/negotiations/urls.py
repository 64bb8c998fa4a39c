from django.urls import path

from salama.negotiations import views

app_name = "negotiations"
urlpatterns = [
    path("", views.packages, name="packages"),
    path("parties/", views.parties, name="parties"),
    path("interactions/", views.interactions, name="interactions"),
    path("interactions/<int:interaction_id>/done/", views.next_done, name="next_done"),
    path("packages/<int:package_id>/", views.package_detail, name="package"),
    path("packages/<int:package_id>/<slug:action>/", views.package_action, name="package_action"),
    path("versions/<int:version_id>/notice.json", views.export_json, name="export_json"),
    path("versions/<int:version_id>/print/", views.export_print, name="export_print"),
    path("movements/<int:movement_id>/", views.movement_timeline, name="timeline"),
    path("mine/", views.mine, name="mine"),
]
