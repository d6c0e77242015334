"""Coordinated behaviour: co-action networks, clusters of accounts, coordination share per trend."""
