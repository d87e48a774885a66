"""Imports every table model so the metadata (Alembic, tests) sees the whole schema."""

from service.action_plan.models import ActionPlanMeasure, ActionPlanMeasureIndicator, ActionPlanMeasureRiskSetting
from service.audit.models import AuditChainHead, AuditEvent, AuditEventPerson
from service.core.idempotency import IdempotencyRecord
from service.events.models import OutboxEvent
from service.mapping.models import MappingEntry
from service.offers.models import Offer, OfferAccessibility, OfferLanguage, OfferMunicipality, OfferRiskSetting
from service.organisations.models import Organisation
from service.persons.models import (
    Consent,
    ConsentDocument,
    ConsentPurposeRow,
    ConsentRecipient,
    LonelinessMeasurement,
    Person,
    PersonLink,
    PersonRiskSetting,
    PersonTransfer,
)
from service.reference.models import Ministry, Municipality, RiskSetting
from service.referrals.models import (
    ContactAgreement,
    ContactElement,
    ContactLogEntry,
    FollowUp,
    ParkedTopic,
    Referral,
    ReferralGoal,
    ReferralTransition,
)
from service.reports.models import ReportSummary
from service.users.models import ApiClient, User
from service.webhooks.models import JobRun, WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = ["ActionPlanMeasure", "ActionPlanMeasureIndicator", "ActionPlanMeasureRiskSetting", "MappingEntry",
           "ApiClient", "AuditEvent", "Ministry", "Municipality", "Organisation", "RiskSetting", "User"]
__all__ += ["Consent", "ConsentPurposeRow", "ConsentRecipient", "LonelinessMeasurement", "Person",
            "PersonRiskSetting"]
__all__ += ["Offer", "OfferAccessibility", "OfferLanguage", "OfferMunicipality", "OfferRiskSetting"]
__all__ += ["ContactAgreement", "ContactLogEntry", "IdempotencyRecord", "Referral", "ReferralTransition"]
__all__ += ["AuditChainHead", "AuditEventPerson", "ConsentDocument"]
__all__ += ["JobRun", "OutboxEvent", "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint"]
__all__ += ["ContactElement", "FollowUp", "ParkedTopic", "ReferralGoal"]
__all__ += ["PersonLink", "PersonTransfer"]
__all__ += ["ReportSummary"]
