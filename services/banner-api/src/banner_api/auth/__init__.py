"""Who is calling: bearer tokens (personal or OIDC), roles, scopes and the per-endpoint policy."""
