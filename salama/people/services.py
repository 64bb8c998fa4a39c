"""Writes to the roster: persons, contact points, enrolment, teams, areas, facilities, local
responders, reveal.

Pages, the CSV import, the API, the demo and later the text channel all call these functions; none
of them writes roster rows on its own. Real names, specialties, contact labels and numbers are
encrypted fields; a number is found again through its keyed hash (`lookup_hash` of the E.164 form
or of the lower-cased e-mail address), never by decrypting every row.

The door: the work is split by verb group into ``contacts`` (numbers, addresses, contact points),
``roster`` (persons and enrolment), ``telling`` (who to tell), ``revealing`` (reveal),
``groups`` (teams, areas, facilities, ``match_named``) and ``responders`` (local responders),
over the shared ``base``; every caller imports from here.
"""

from salama.people.contacts import (
    DEFAULT_REGION,
    add_contact_point,
    find_contact_point,
    normalise_number,
    normalise_value,
    region_of,
    unlink_contact_point,
    update_contact_point,
    value_hash_of,
)
from salama.people.groups import match_named, save_area, save_facility, save_team
from salama.people.responders import (
    RESPONDER_LABEL_MAX,
    add_local_responder,
    local_responders,
    remove_local_responder,
)
from salama.people.revealing import REVEALABLE, can_reveal, reveal
from salama.people.roster import (
    CODENAME_RE,
    ENROLMENT_WAYS,
    PERSON_FIELDS,
    ContactSpec,
    clean_codename,
    create_person,
    record_enrolment,
    update_person,
)
from salama.people.telling import coordinators, coordinators_to_tell, is_lead, leads_for

__all__ = [
    "CODENAME_RE",
    "DEFAULT_REGION",
    "ENROLMENT_WAYS",
    "PERSON_FIELDS",
    "RESPONDER_LABEL_MAX",
    "REVEALABLE",
    "ContactSpec",
    "add_contact_point",
    "add_local_responder",
    "can_reveal",
    "clean_codename",
    "coordinators",
    "coordinators_to_tell",
    "create_person",
    "find_contact_point",
    "is_lead",
    "leads_for",
    "local_responders",
    "match_named",
    "normalise_number",
    "normalise_value",
    "record_enrolment",
    "region_of",
    "remove_local_responder",
    "reveal",
    "save_area",
    "save_facility",
    "save_team",
    "unlink_contact_point",
    "update_contact_point",
    "update_person",
    "value_hash_of",
]
