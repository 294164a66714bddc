"""Preview resource."""
