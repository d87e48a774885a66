"""The Strawberry GraphQL schema: a thin adapter over the same domain services as REST."""
