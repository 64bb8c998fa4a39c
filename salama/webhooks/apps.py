from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outbound webhooks (docs/api.md): above alerts and rollcalls, whose hooks it listens to,
    and safety's check-in hook; the worker delivers."""

    name = "salama.webhooks"

    def ready(self) -> None:
        from salama.alerts import hooks as alert_hooks
        from salama.rollcalls import hooks as rollcall_hooks
        from salama.safety import hooks as safety_hooks
        from salama.webhooks import receivers, services
        from salama.worker.loop import job

        alert_hooks.alert_changed.register(receivers.on_alert_changed)
        rollcall_hooks.rollcall_closed.register(receivers.on_rollcall_closed)
        safety_hooks.checkin_recorded.register(receivers.on_checkin)
        job(services.deliver_due)
