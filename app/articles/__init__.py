"""The articles domain: models, repository, service, schemas, router."""
