from django.apps import AppConfig


class RollcallsConfig(AppConfig):
    name = "salama.rollcalls"

    def ready(self) -> None:
        from salama.rollcalls import jobs, texts  # noqa: F401 - registers the templates
        from salama.worker.loop import job

        job(jobs.run_rollcalls)
