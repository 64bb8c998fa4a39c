from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo scenario and `salama demo`: the top floor, it may use every app."""

    name = "salama.demo"
