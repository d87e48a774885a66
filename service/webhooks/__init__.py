"""Webhook endpoints per organisation, signed delivery (Standard Webhooks) from the outbox, the delivery log."""
