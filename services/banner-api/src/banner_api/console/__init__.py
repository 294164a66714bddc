"""The planners' web console: a single page of static files that talks only to the public REST API."""
