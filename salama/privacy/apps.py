from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "salama.privacy"

    def ready(self) -> None:
        from salama.privacy import jobs, texts
        from salama.worker.loop import job

        texts.register()
        job(jobs.retention_job)
        job(jobs.reveal_watch_job)
