"""The FHIR R4 door (`/fhir/R4`): referrals, their tasks, consents, patients, organisations and offers as FHIR
resources, over the same domain services, access table and audit as REST and GraphQL."""
