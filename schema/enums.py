"""Every GraphQL enum, registered once: `strawberry.enum` marks the domain's own enum class (and returns it),
so types and inputs annotate with the domain enum itself and `schema/derive.py` maps read-model fields of
these classes to the GraphQL enum. A domain enum not registered here is published as its values (`String`)."""

import strawberry

from service.action_plan.dto import Indicator, MeasureStatus
from service.core.permissions import Role
from service.events import EventType
from service.mapping.dto import BarrierType
from service.offers.dto import OfferCategory, OfferMode, OfferStatus
from service.offers.schedule import Frequency, Weekday
from service.organisations.dto import OrganisationKind
from service.persons.dto import (
    ConsentGivenBy,
    ConsentMethod,
    ConsentPurpose,
    DataCategory,
    DisabilityType,
    Gender,
    MeasurementContext,
)
from service.reference.vocabulary import AccessibilityFeature
from service.referrals.dto import Cadence, ContactChannel, Outcome, PsychosocialElement, ReasonCode
from service.referrals.workflow import Action, ReferralStatus

strawberry.enum(BarrierType, name="BarrierType")
strawberry.enum(MeasureStatus, name="ActionPlanMeasureStatus")
strawberry.enum(Indicator, name="ActionPlanIndicator", description="A measure of the Recommendation 4 report.")
strawberry.enum(OfferCategory)
strawberry.enum(OfferMode)
strawberry.enum(OfferStatus)
strawberry.enum(AccessibilityFeature)
strawberry.enum(Weekday)
strawberry.enum(Frequency, name="ScheduleFrequency")
strawberry.enum(OrganisationKind)
strawberry.enum(ConsentPurpose)
strawberry.enum(ConsentGivenBy)
strawberry.enum(ConsentMethod)
strawberry.enum(DataCategory)
strawberry.enum(DisabilityType)
strawberry.enum(Gender)
strawberry.enum(MeasurementContext)
strawberry.enum(ReferralStatus)
strawberry.enum(Action, name="ReferralAction")
strawberry.enum(ReasonCode)
strawberry.enum(Outcome, name="ReferralOutcome")
strawberry.enum(ContactChannel)
strawberry.enum(Cadence, name="ContactCadence")
strawberry.enum(PsychosocialElement)
strawberry.enum(Role)
strawberry.enum(EventType, name="WebhookEventType")

__all__ = ["AccessibilityFeature", "Action", "BarrierType", "Cadence", "ConsentGivenBy", "ConsentMethod",
           "ConsentPurpose", "ContactChannel", "DataCategory", "DisabilityType", "EventType", "Frequency", "Gender",
           "Indicator", "MeasureStatus", "MeasurementContext", "OfferCategory", "OfferMode", "OfferStatus",
           "OrganisationKind", "Outcome", "PsychosocialElement", "ReasonCode", "ReferralStatus", "Role", "Weekday"]
