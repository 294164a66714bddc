"""Schedule resource."""
