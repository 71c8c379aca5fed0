"""The layer system: Kconfig fragments, base layers, the merged stack with provenance, the
environment hooks and commands get, the skiff-core.yaml schema."""
