"""Jobs: the durable ingestion / re-extraction queue that lives in the service's own database."""
