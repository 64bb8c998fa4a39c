from django.urls import path

from salama.people import views

app_name = "people"
urlpatterns = [
    path("", views.roster, name="roster"),
    path("new/", views.person_new, name="person_new"),
    path("import/", views.roster_import, name="import"),
    path("<int:person_id>/", views.person_detail, name="person"),
    path("<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("<int:person_id>/reveal/", views.person_reveal, name="person_reveal"),
    path("<int:person_id>/enrol/", views.person_enrol, name="person_enrol"),
    path("teams/", views.teams, name="teams"),
    path("teams/new/", views.team_edit, name="team_new"),
    path("teams/<int:team_id>/", views.team_edit, name="team_edit"),
    path("areas/", views.areas, name="areas"),
    path("areas/new/", views.area_edit, name="area_new"),
    path("areas/<int:area_id>/", views.area_edit, name="area_edit"),
    path("facilities/", views.facilities, name="facilities"),
    path("facilities/new/", views.facility_edit, name="facility_new"),
    path("facilities/<int:facility_id>/", views.facility_edit, name="facility_edit"),
]
