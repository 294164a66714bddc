"""Business KPIs: what goes out today, coverage of the coming days, planning activity."""
