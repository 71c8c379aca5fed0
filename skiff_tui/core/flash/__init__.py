"""Flashing: card layouts, images, block devices and their safety rules, writing and verifying
cards and images, pushing to a running device."""
