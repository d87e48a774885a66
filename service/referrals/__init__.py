"""Referrals with a closed loop, consent-gated sharing and no overbooking; the phone-contact follow-up.

Its cross-domain rules — the confidential-location grant for organisations with an accepted or started referral
(`policy.accepted_referral_grant`) and the reaction that withdraws open referrals when `referral_sharing` or the
registration ends (`transitions.on_consent_ended`) — are wired explicitly by `service.wiring.wire()`.
"""
