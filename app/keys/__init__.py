"""API keys: hashed at rest, scoped, managed with `newsclaims keys create|list|revoke`."""
