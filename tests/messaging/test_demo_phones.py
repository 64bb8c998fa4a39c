"""The demo's phones page (U1 item 9): each demo phone's inbox (what the console channel handed
it) and outbox (what it sent in), linked from the outbox page; demo only."""

from typing import Any

from salama.messaging.dispatch import dispatch_outbox
from salama.messaging.simulator import simulate
from salama.rollcalls import services as rollcalls


def test_demo_phones_show_what_each_phone_received_and_sent(
    world: Any, roster: Any, clients: Any, settings: Any
) -> None:
    from datetime import timedelta

    from salama.lib import clock

    rollcalls.open_roll_call(
        org=world.org,
        question="Are you well?",
        target=rollcalls.Target(persons=(roster.persons["K20"].pk,)),
        deadline_at=clock.now() + timedelta(hours=1),
    )
    while dispatch_outbox():
        pass
    simulate(org=world.org, codename="K20", text="1")
    settings.DEMO = True
    outbox = clients["coordinator"].get("/messaging/deliveries/").content.decode()
    assert 'id="demo-phones-link"' in outbox and 'id="sent"' in outbox
    page = clients["coordinator"].get("/messaging/demo-phones/").content.decode()
    k20 = page[page.index('<span class="ltr">K20 ') :]  # the phone's heading, not a token
    inbox = k20[k20.index('class="phone-inbox"') :].split("</ul>")[0]
    sent = k20[k20.index('class="phone-outbox"') :].split("</ul>")[0]
    from salama.messaging.models import Message

    body = Message.objects.get(reason__startswith="rollcall:").body
    assert body in inbox  # K20 reads Arabic: the roll call in Arabic only
    assert ">1</span>" in sent
    settings.DEMO = False
    assert (
        'id="demo-only"' in clients["coordinator"].get("/messaging/demo-phones/").content.decode()
    )
    assert clients["staff"].get("/messaging/demo-phones/").status_code == 403
