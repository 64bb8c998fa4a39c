"""URL keyword arguments for the role-matrix test: for each name used in a URL pattern or an API
path, a function that makes (or finds) an object of the test organisation and returns the value
to put in the URL. An outsider asking for it must get 404. Add an entry with every new URL
parameter; the role-matrix test fails on a parameter it cannot fill."""

from collections.abc import Callable
from typing import Any

SAMPLES: dict[str, Callable[[Any], Any]] = {}


def sample(name: str) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    def register(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
        SAMPLES[name] = func
        return func

    return register
