from django.urls import path

from salama.evidence import views

app_name = "evidence"
urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("checkpoint", views.checkpoint_text, name="checkpoint"),
    path("consistency", views.consistency, name="consistency"),
    path("<slug:record_kind>/<int:record_id>/", views.record, name="record"),
]
