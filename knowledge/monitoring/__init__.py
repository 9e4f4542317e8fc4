"""Sozialraummonitoring: anonymous demand per district, coverage of places, the report."""
