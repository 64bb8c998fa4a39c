from django.urls import path

from salama.privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("settings", views.save_settings, name="save_settings"),
    path("people/<int:person_id>/phone-lost", views.person_phone_lost, name="person_phone_lost"),
    path("members/<int:member_id>/phone-lost", views.member_phone_lost, name="member_phone_lost"),
    path("purge", views.purge, name="purge"),
]
