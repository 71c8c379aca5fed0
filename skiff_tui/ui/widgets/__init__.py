"""Reusable widgets of the skiff TUI (their CSS lives in DEFAULT_CSS; the app's in skiff.tcss)."""
