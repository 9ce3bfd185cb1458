"""The claims domain: models, repository, service, schemas, router."""
