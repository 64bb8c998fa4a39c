from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "salama.messaging"

    def ready(self) -> None:
        from salama.messaging import channels, outbox
        from salama.messaging.channels.console import ConsoleChannel
        from salama.messaging.channels.smtp import SmtpChannel
        from salama.worker.loop import job

        channels.register(ConsoleChannel())
        channels.register(SmtpChannel())
        job(outbox.dispatch_outbox)
