"""Before a package command runs from the TUI: ask for the variables it needs (core.builds.command_vars)
in a small form, starting from the values given earlier in this session."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from ..core.errors import SkiffError

if TYPE_CHECKING:
    from .host import SkiffHost


def session_values(app: SkiffHost) -> dict[str, str]:
    """The values given in forms this session (kept by the app, so every screen shares them)."""
    return app.command_variables


def command_env(app: SkiffHost) -> dict[str, str]:
    """The environment package commands run with: the app's, plus the values given in forms."""
    return {**app.env, **session_values(app)}


def ask_then_run(app: SkiffHost, package: str, command: str, run: Callable[[], None]) -> None:
    """Find what the command needs (in a thread), ask for it when it needs anything, then run()."""

    def find() -> None:
        from ..core.builds.command_vars import needed_variables

        index = app.index
        try:
            if index is None:
                raise SkiffError("the packages are not read yet")
            needed = needed_variables(app.session, package, command)
        except SkiffError:
            needed = []  # running it reports the problem the usual way
        app.call_from_thread(ask, needed)

    def ask(needed) -> None:
        if not needed:
            run()
            return
        from .widgets.command_vars_form import CommandVariablesModal

        values = session_values(app)

        def answered(given: dict[str, str] | None) -> None:
            if given is None:
                app.notify(f"cmd/{package}/{command} not run", severity="warning")
                return
            values.update(given)
            run()

        app.push_screen(
            CommandVariablesModal(
                f"cmd/{package}/{command} needs these values (kept for this session)",
                [(v.name, v.help, values.get(v.name, "")) for v in needed],
            ),
            answered,
        )

    app.run_worker(find, thread=True, group="command-vars", exclusive=True, exit_on_error=False)
