"""The Textual front end of skiff. It renders what `skiff_tui.core` returns and never parses
files or spawns processes itself; long engine calls run in thread workers."""
