from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "salama.alerts"

    def ready(self) -> None:
        from salama.alerts import services, sweep, texts
        from salama.worker.loop import job

        texts.register()
        job(sweep.sweep_overdue)
        job(services.escalate_alerts)
