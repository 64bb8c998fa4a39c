from django.urls import path

from salama.messaging import views

app_name = "messaging"
urlpatterns = [
    path("deliveries/", views.deliveries, name="deliveries"),
    path("deliveries/<int:delivery_id>/retry", views.delivery_retry, name="delivery_retry"),
    path("suppressed/", views.suppressions, name="suppressions"),
    path(
        "suppressed/<int:suppression_id>/release",
        views.suppression_release,
        name="suppression_release",
    ),
    path("texts/", views.text_list, name="texts"),
    path("texts/edit", views.text_edit, name="text_edit"),
]
