from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "salama.facilities"

    def ready(self) -> None:
        from salama.facilities import commands, texts
        from salama.messaging import commands as registry

        texts.register()
        registry.register(
            registry.Command(
                "facility_update", commands.handle_text, order=20, from_shared_phone=False
            )
        )
