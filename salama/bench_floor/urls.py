from django.urls import path

from salama.bench_floor import views

app_name = "bench_floor"
urlpatterns = [path("row", views.insert_row, name="row")]
