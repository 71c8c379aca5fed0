"""Everything that runs Buildroot: configure, compile, build records and logs, checks, package
commands, the build container."""
