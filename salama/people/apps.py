from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "salama.people"
