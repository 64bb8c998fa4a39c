from django.urls import path

from salama.facilities import views

app_name = "facilities"
urlpatterns = [
    path("", views.board, name="board"),
    path("export.json", views.export_json, name="export_json"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("words/", views.words, name="words"),
    path("<int:facility_id>/", views.detail, name="detail"),
    path("<int:facility_id>/update/", views.update, name="update"),
    path("<int:facility_id>/card/", views.card, name="card"),
]
