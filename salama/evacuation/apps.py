from django.apps import AppConfig


class EvacuationConfig(AppConfig):
    name = "salama.evacuation"

    def ready(self) -> None:
        from salama.evacuation import commands, jobs, panels, texts
        from salama.messaging import commands as registry
        from salama.people import hooks as people_hooks
        from salama.safety import hooks as safety_hooks
        from salama.worker.loop import job

        texts.register()
        registry.register(
            registry.Command(
                "evacuation_request", commands.handle_evac, order=25, off_by_default=True
            )
        )
        registry.register(
            registry.Command(
                "evacuation_arrived", commands.handle_arrived, order=26, from_shared_phone=False
            )
        )
        registry.watch(commands.watch_roll_call)
        job(jobs.watch_movements)
        job(jobs.refresh_priorities)
        people_hooks.person_panels.register(panels.person_panel)
        safety_hooks.board_cards.register(panels.board_card)
