from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "salama.alerts"

    def ready(self) -> None:
        from salama.alerts import services, sweep, texts
        from salama.messaging import hooks as messaging_hooks
        from salama.worker.loop import job

        texts.register()
        messaging_hooks.gateway_warning.register(services.gateway_warning)
        job(sweep.sweep_overdue)
        job(services.escalate_alerts)
