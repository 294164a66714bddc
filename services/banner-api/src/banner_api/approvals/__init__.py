"""Four-eyes approval of schedule changes: list what waits, approve entries, a day or a batch."""
