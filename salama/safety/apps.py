from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "salama.safety"

    def ready(self) -> None:
        from salama.safety import services
        from salama.worker.loop import job

        job(services.expire_heightened)
        job(services.purge_idempotency_keys)
