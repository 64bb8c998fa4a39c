from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "salama.alerts"

    def ready(self) -> None:
        from salama.alerts import selectors, services, sweep, texting, texts
        from salama.messaging import commands
        from salama.messaging import hooks as messaging_hooks
        from salama.safety import hooks as safety_hooks
        from salama.worker.loop import job

        texts.register()
        messaging_hooks.gateway_warning.register(services.gateway_warning)
        messaging_hooks.unknown_sender_help.register(texting.unknown_sender_help)
        messaging_hooks.contact_ignored.register(texting.contact_ignored)
        messaging_hooks.unattributed_danger.register(texting.unattributed_danger)
        messaging_hooks.checkin_alert.register(texting.checkin_alert)
        messaging_hooks.alert_is_open.register(texting.alert_is_open)
        messaging_hooks.code_locked.register(texting.code_locked)
        commands.register(texting.ACKNOWLEDGE)
        safety_hooks.checkin_recorded.register(services.on_checkin)
        safety_hooks.decision_made.register(services.on_decision)
        safety_hooks.person_lock_annotations.register(services.person_lock_annotations)
        safety_hooks.open_call.register(selectors.open_call_for_help)
        safety_hooks.latest_call.register(selectors.latest_call_for_help)
        safety_hooks.alert_counts.register(selectors.life_safety_counts)
        job(sweep.sweep_overdue)
        job(services.escalate_alerts)
