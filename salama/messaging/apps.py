from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "salama.messaging"

    def ready(self) -> None:
        from salama.messaging import channels, inbound, outbox
        from salama.messaging.channels.console import ConsoleChannel
        from salama.messaging.channels.http_json import HttpJsonChannel
        from salama.messaging.channels.smtp import SmtpChannel
        from salama.messaging.channels.twilio import TwilioChannel
        from salama.worker.loop import job

        channels.register(ConsoleChannel())
        channels.register(SmtpChannel())
        channels.register(HttpJsonChannel())
        channels.register(TwilioChannel())
        from salama.messaging import budget, watchdog
        from salama.messaging.channels.android import AndroidChannel

        channels.register(AndroidChannel())
        from salama.messaging.views_codes import personal_code_panel
        from salama.people import hooks as people_hooks

        people_hooks.person_panels.register(personal_code_panel)
        job(budget.charge_deliveries)
        job(watchdog.watch_gateways)
        job(outbox.dispatch_outbox)
        job(inbound.retry_inbound)
