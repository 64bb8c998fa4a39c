from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "salama.alerts"

    def ready(self) -> None:
        from salama.alerts import selectors, services, sweep, texts
        from salama.messaging import hooks as messaging_hooks
        from salama.safety import hooks as safety_hooks
        from salama.worker.loop import job

        texts.register()
        messaging_hooks.gateway_warning.register(services.gateway_warning)
        safety_hooks.checkin_recorded.register(services.on_checkin)
        safety_hooks.decision_made.register(services.on_decision)
        safety_hooks.person_lock_annotations.register(services.person_lock_annotations)
        safety_hooks.open_call.register(selectors.open_call_for_help)
        safety_hooks.latest_call.register(selectors.latest_call_for_help)
        job(sweep.sweep_overdue)
        job(services.escalate_alerts)
