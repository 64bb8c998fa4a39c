"""The real URLs plus a view that raises, for the 500 page's tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from salama.urls import handler403, handler404, handler500, urlpatterns

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [path("test-boom/", boom), *urlpatterns]
