from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "salama.safety"
