from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "salama.alerts"

    def ready(self) -> None:
        from salama.alerts import selectors, services, sweep, texts
        from salama.safety import hooks
        from salama.worker.loop import job

        hooks.provide(
            open_call=selectors.open_call_for_help, latest_call=selectors.latest_call_for_help
        )

        texts.register()
        job(sweep.sweep_overdue)
        job(services.escalate_alerts)
