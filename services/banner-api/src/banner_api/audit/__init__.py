"""The audit trail: every write appends who, when, what (before and after) and from which request."""
