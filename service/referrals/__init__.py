"""Referrals with a closed loop, consent-gated sharing and no overbooking; the phone-contact follow-up.

Importing the package registers its cross-domain rules: the confidential-location grant for organisations
with an accepted or started referral (`policy`) and the consent hook that withdraws open referrals when
`referral_sharing` or the registration ends (`transitions`).
"""

from service.referrals import policy as _policy  # noqa: F401
from service.referrals import transitions as _transitions  # noqa: F401
