"""Property-based tests (hypothesis) of the sync core."""
