"""The events domain: models, repository, service, schemas, router."""
