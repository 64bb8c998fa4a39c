"""The status vocabulary: WHO HeRAMS terms with named codes (never HeRAMS' letter codes), plus
the critical stocks Salama adds. Codes are stable: exports, the API and texts carry them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Functionality(models.TextChoices):
    FULL = "full", _("Fully functioning")
    PARTIAL = "partial", _("Partially functioning")
    NONE = "none", _("Not functioning")
    UNKNOWN = "unknown", _("Unknown")


# Higher is better; a drop between two known levels raises an alert.
FUNCTIONALITY_RANK = {Functionality.FULL: 3, Functionality.PARTIAL: 2, Functionality.NONE: 1}


class Condition(models.TextChoices):
    NOT_DAMAGED = "not_damaged", _("Not damaged")
    SLIGHTLY = "slightly_damaged", _("Slightly damaged")
    SUBSTANTIALLY = "substantially_damaged", _("Substantially damaged")
    FULLY = "fully_damaged", _("Fully damaged")
    NOT_RELEVANT = "not_relevant", _("Not relevant (e.g. a mobile clinic)")


class Accessibility(models.TextChoices):
    FULL = "full", _("Fully accessible")
    PARTIAL = "partial", _("Partially accessible")
    NONE = "none", _("Not accessible")


class Barrier(models.TextChoices):
    INSECURITY = "insecurity", _("Insecurity")
    DISTANCE = "distance", _("Distance")
    FEES = "fees", _("Fees")
    PHYSICAL = "physical", _("Physical barriers")


class Reason(models.TextChoices):
    """Why a facility is not (fully) functioning."""

    STAFF = "staff", _("Lack of staff")
    SUPPLIES = "supplies", _("Lack of supplies")
    FINANCES = "finances", _("Lack of finances")
    ACCESS = "access", _("Lack of access")


class FacilityType(models.TextChoices):
    PRIMARY = "primary", _("Primary care")
    SECONDARY = "secondary", _("Secondary care")
    TERTIARY = "tertiary", _("Tertiary care")
    MOBILE = "mobile_clinic", _("Mobile clinic")
    PHARMACY = "pharmacy", _("Pharmacy")
    WAREHOUSE = "warehouse", _("Warehouse")
    OTHER = "other", _("Other")


class Affiliation(models.TextChoices):
    GOVERNMENT = "government", _("Government")
    NGO = "ngo", _("NGO")
    PRIVATE = "private", _("Private")
    UN = "un", _("United Nations")
    RED_CROSS = "red_cross", _("Red Cross / Red Crescent")
    OTHER = "other", _("Other")


class Service(models.TextChoices):
    TRAUMA = "trauma", _("Emergency surgery and trauma")
    ICU = "icu", _("Intensive care")
    BEMONC = "bemonc", _("Basic emergency obstetric care")
    CEMONC = "cemonc", _("Comprehensive emergency obstetric care")
    DIALYSIS = "dialysis", _("Dialysis")
    BLOOD_BANK = "blood_bank", _("Blood bank")
    IMAGING = "imaging", _("Imaging")
    LABORATORY = "laboratory", _("Laboratory")
    INPATIENT = "inpatient", _("Inpatient care")
    REFERRAL = "referral", _("Referral capacity")
    PHARMACY = "pharmacy", _("Pharmacy")


class Utility(models.TextChoices):
    ELECTRICITY = "electricity", _("Electricity")
    WATER = "water", _("Water")
    OXYGEN_PLANT = "oxygen_plant", _("Oxygen plant")
    COLD_CHAIN = "cold_chain", _("Cold chain")
    TELEPHONE = "telephone", _("Telephone")
    INTERNET = "internet", _("Internet")


class Availability(models.TextChoices):
    FULL = "full", _("Fully available")
    PARTIAL = "partial", _("Partially available")
    NONE = "none", _("Not available")
    NOT_PROVIDED = "not_provided", _("Not normally provided")


class Cause(models.TextChoices):
    """Why a service is not (fully) available: up to three, ranked."""

    STAFF = "staff", _("Lack of staff")
    TRAINING = "training", _("Lack of training")
    SUPPLIES = "supplies", _("Lack of medical supplies")
    EQUIPMENT = "equipment", _("Lack of equipment (including vehicles and fuel)")
    FINANCES = "finances", _("Lack of finances")


MAX_CAUSES = 3


class Stock(models.TextChoices):
    FUEL = "fuel", _("Fuel")
    OXYGEN = "oxygen", _("Oxygen")
    BLOOD = "blood", _("Blood units")
    ANAESTHESIA = "anaesthesia", _("Anaesthesia")
    IV_FLUIDS = "iv_fluids", _("IV fluids")
    ANTIBIOTICS = "antibiotics", _("Antibiotics")


# Unit of the amount on hand and of the daily use (the same unit), and the default threshold in
# days under which an alert is raised. Fuel is shown in hours (generators are run by the hour).
STOCK_UNITS = {
    Stock.FUEL: _("litres"),
    Stock.OXYGEN: _("cylinders"),
    Stock.BLOOD: _("units"),
    Stock.ANAESTHESIA: _("vials"),
    Stock.IV_FLUIDS: _("bags"),
    Stock.ANTIBIOTICS: _("courses"),
}
DEFAULT_THRESHOLD_DAYS = {
    Stock.FUEL: 2.0,
    Stock.OXYGEN: 3.0,
    Stock.BLOOD: 2.0,
    Stock.ANAESTHESIA: 5.0,
    Stock.IV_FLUIDS: 5.0,
    Stock.ANTIBIOTICS: 7.0,
}
IN_HOURS = frozenset({Stock.FUEL})

# Every choice list of the status vocabulary, for the docs and the label tests.
VOCABULARY: dict[str, type[models.TextChoices]] = {
    "functionality": Functionality,
    "condition": Condition,
    "accessibility": Accessibility,
    "barrier": Barrier,
    "reason": Reason,
    "facility_type": FacilityType,
    "affiliation": Affiliation,
    "service": Service,
    "utility": Utility,
    "availability": Availability,
    "cause": Cause,
    "stock": Stock,
}
