"""skiff: a terminal-first, SkiffOS-compatible configurator for Buildroot OS images."""

__version__ = "0.1.0"
