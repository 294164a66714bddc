"""Dashboard, alert rules and metric names checked without services."""
