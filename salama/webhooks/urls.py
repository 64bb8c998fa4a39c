from django.urls import path

from salama.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.index, name="index"),
    path("remove/", views.remove, name="remove"),
]
