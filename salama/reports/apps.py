from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "salama.reports"

    def ready(self) -> None:
        from salama.reports import cap_sources, jobs, sections_core
        from salama.worker.loop import job

        sections_core.register()
        cap_sources.register()
        job(jobs.sitrep_job)
