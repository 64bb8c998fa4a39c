from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "salama.incidents"

    def ready(self) -> None:
        from salama.incidents import commands, texts
        from salama.messaging import commands as registry

        texts.register()
        registry.register(
            registry.Command(
                commands.NAME, commands.handle_text, order=25, off_by_default=True,
                from_shared_phone=False, with_danger_word=True,
            )
        )  # fmt: skip
