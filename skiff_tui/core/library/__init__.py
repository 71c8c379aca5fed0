"""The package library: discovery, search, resolution of a selection into a chain."""
