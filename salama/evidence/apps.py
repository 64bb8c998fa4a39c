from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "salama.evidence"

    def ready(self) -> None:
        from salama.evidence import checkpoints
        from salama.worker.loop import job

        job(checkpoints.sign_due_checkpoints)
