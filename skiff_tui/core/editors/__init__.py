"""Editors of the user's override layers: the Kconfig editor's model, menuconfig deltas, guided
overrides (hostname, Wi-Fi, SSH keys, files), where skiff-core.yaml is saved."""
