from django.urls import path

from salama.incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("list/", views.incident_list, name="list"),
    path("report/", views.new_report, name="new_report"),
    path("draft/", views.draft_from_text, name="draft"),
    path("consolidate/", views.consolidate, name="consolidate"),
    path("settings/", views.save_settings, name="settings"),
    path("export/public.csv", views.export_public, name="export_public"),
    path("export/public-plain.csv", views.export_public_plain, name="export_public_plain"),
    path("export/internal.csv", views.export_internal, name="export_internal"),
    path("export/internal-plain.csv", views.export_internal_plain, name="export_internal_plain"),
    path("export/incidents.geojson", views.export_geojson, name="export_geojson"),
    path("facility/<int:facility_id>/", views.facility_history, name="facility"),
    path("<int:incident_id>/", views.detail, name="detail"),
    path("<int:incident_id>/edit/", views.edit, name="edit"),
    path("<int:incident_id>/sources/", views.add_source, name="add_source"),
    path("<int:incident_id>/sources/remove/", views.remove_source, name="remove_source"),
    path("<int:incident_id>/move/", views.move, name="move"),
    path("<int:incident_id>/proposal/", views.proposal, name="proposal"),
]
