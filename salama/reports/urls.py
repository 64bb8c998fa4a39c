from django.urls import path

from salama.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("generate/", views.generate, name="generate"),
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("settings/", views.settings_page, name="settings"),
    path("exports/", views.export_list, name="exports"),
    path("exports/download/", views.export, name="export"),
    path("partner-tokens/", views.tokens, name="tokens"),
    path("cap.xml", views.cap_feed, name="cap_feed"),
    path("<int:report_id>/", views.detail, name="detail"),
    path("<int:report_id>/<slug:report_lang>.pdf", views.pdf, name="pdf"),
]
