"""The entities domain: models, repository, service, schemas, router."""
