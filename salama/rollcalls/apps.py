from django.apps import AppConfig


class RollcallsConfig(AppConfig):
    name = "salama.rollcalls"

    def ready(self) -> None:
        from salama.messaging import commands
        from salama.rollcalls import jobs, texts  # noqa: F401 - registers the templates
        from salama.rollcalls.duress import check_duress, check_page_duress
        from salama.rollcalls.services import answer_from_text
        from salama.worker.loop import job

        job(jobs.run_rollcalls)
        # A digit during an open roll call is that roll call's answer, help and injury included.
        commands.register(
            commands.Command("roll_call_answer", answer_from_text, order=30, with_danger_word=True)
        )
        # A SAFE that carries the person's duress word raises the duress alert, whatever answered.
        commands.watch(check_duress)
        # Its word's keyed hash read with the sender's persons (no statement of its own).
        from salama.messaging import hooks as messaging_hooks
        from salama.rollcalls.duress import word_hash_column

        messaging_hooks.sender_person_columns.register(word_hash_column)
        # The same word in the field page's note (O1): the same alert, the same quiet.
        from salama.safety import hooks as safety_hooks

        safety_hooks.checkin_recorded.register(check_page_duress)
