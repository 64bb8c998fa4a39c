"""The roll-call cost estimate in its currency's real precision (U1 item 8): never "0.0"."""

from salama.rollcalls.templatetags.rollcall_tags import money


def test_cost_shows_in_the_currencys_precision() -> None:
    assert money(0.0312, "USD") == "0.03"
    assert money(0.004, "USD") == "< 0.01"
    assert money(0, "USD") == "0.00"
    assert money(1.23456, "JOD") == "1.235"
    assert money(12.6, "JPY") == "13"
