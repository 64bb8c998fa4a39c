from django.apps import AppConfig


class NegotiationsConfig(AppConfig):
    name = "salama.negotiations"

    def ready(self) -> None:
        from salama.alerts import hooks as alerts_hooks
        from salama.negotiations import panels
        from salama.people import hooks as people_hooks
        from salama.safety import hooks as safety_hooks

        people_hooks.person_panels.register(panels.person_panel)
        safety_hooks.board_cards.register(panels.board_card)
        alerts_hooks.duty_items.register(panels.duty_items)
