"""Access control: API keys, their permission sets (scopes), the audit trail's entries and
the rate limit's arithmetic. Pure: no I/O (the stores live in ``flows.access_store``)."""
