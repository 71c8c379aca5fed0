"""Kconfig fragments: parse, merge (last assignment wins), keep provenance of every value
(docs/behaviour.md#layers-and-merging)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FragmentError, read_user_text

ASSIGN = re.compile(r"([A-Za-z0-9_]+)=(.*)\Z")
NOT_SET = re.compile(r"#\s*([A-Za-z0-9_]+) is not set\s*\Z")
# Characters that end a line for some reader (Python's splitlines(), Kconfig's fgets, an editor)
# or a C string: a value holding one could smuggle a second assignment into a fragment, so
# values with any of them are refused wherever they are read or written.
LINE_BREAKS = re.compile("[\x00\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# SkiffOS substitutes this token in fragment lines with the directory of the layer that holds them.
CONFIG_ROOT_TOKEN = "SKIFF_CONFIG_ROOT"


@dataclass(frozen=True)
class Origin:
    layer: str  # package name, "base/pre", "overrides", "overrides/workspaces/<ws>", "skiff"
    path: Path | None
    line: int | None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.path and self.line else str(self.path or "")
        return f"{self.layer} ({where})" if where else self.layer


@dataclass(frozen=True)
class Assignment:
    symbol: str
    value: str | None  # None means "# SYM is not set"
    origin: Origin

    @property
    def text(self) -> str:
        if self.value is None:
            return f"# {self.symbol} is not set"
        check_value(self.symbol, self.value, self.origin.path, self.origin.line)
        return f"{self.symbol}={self.value}"

    @property
    def shown_value(self) -> str:
        return "n (is not set)" if self.value is None else self.value


def check_value(symbol: str, value: str, path: Path | None = None, line: int | None = None) -> str:
    """`value` if it holds no line break, NUL or other line separator; else FragmentError."""
    bad = LINE_BREAKS.search(value)
    if bad:
        raise FragmentError(
            f"the value of {symbol} contains {_char_name(bad.group())}; a Kconfig value must be one line",
            path=path,
            line=line,
            hint="remove the character",
        )
    return value


def _char_name(ch: str) -> str:
    names = {"\0": "a NUL byte", "\n": "a line break", "\r": "a carriage return"}
    return names.get(ch, f"the line separator U+{ord(ch):04X}")


def split_lines(text: str) -> list[str]:
    """Lines as Kconfig reads them: split at \n only (\r\n accepted). splitlines() would also
    split at \x0b, \x1c, U+2028 and the like, turning part of a value into a line of its own."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def parse_lines(
    text: str, *, path: Path | None, layer: str, root: Path | None = None, skipped: list[str] | None = None
) -> list[Assignment]:
    """Assignments of a fragment. A line that is neither an assignment, a comment nor blank is an
    error, or, when `skipped` is given, left out and described there (Kconfig itself ignores such
    lines with a warning, and SkiffOS trees contain a few). A line holding a line separator or
    NUL is always an error."""
    result: list[Assignment] = []
    for lineno, raw in enumerate(split_lines(text), 1):
        bad = LINE_BREAKS.search(raw)
        if bad:
            raise FragmentError(
                f"line contains {_char_name(bad.group())}; a Kconfig line must not",
                path=path,
                line=lineno,
                hint="remove the character",
            )
        line = raw.strip()
        if not line:
            continue
        if root is not None and CONFIG_ROOT_TOKEN in line:
            line = line.replace(CONFIG_ROOT_TOKEN, str(root))
        match = NOT_SET.match(line)
        if match:
            result.append(Assignment(match.group(1), None, Origin(layer, path, lineno)))
            continue
        if line.startswith("#"):
            continue
        match = ASSIGN.match(line)
        if not match:
            error = FragmentError(
                f"not a Kconfig assignment: {raw.strip()[:60]!r} (expected SYMBOL=value or '# SYMBOL is not set')",
                path=path,
                line=lineno,
            )
            if skipped is None:
                raise error
            skipped.append(f"ignored {error}")
            continue
        result.append(Assignment(match.group(1), match.group(2).strip(), Origin(layer, path, lineno)))
    return result


def read_fragment(
    path: Path, *, layer: str, root: Path | None = None, skipped: list[str] | None = None
) -> list[Assignment]:
    text = read_user_text(path, FragmentError, "fragment")
    return parse_lines(text, path=path, layer=layer, root=root, skipped=skipped)


def fragment_files(directory: Path) -> list[Path]:
    """Regular files of a fragment directory in byte-wise sorted order, hidden files skipped."""
    try:
        entries = [e for e in os.scandir(directory) if not e.name.startswith(".") and _is_file(e)]
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise FragmentError(f"cannot read directory: {exc.strerror}", path=directory) from exc
    return [Path(e.path) for e in sorted(entries, key=lambda e: os.fsencode(e.name))]


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError as exc:  # a link loop: name it rather than skip it (it was meant to be read)
        raise FragmentError(
            f"cannot read: {exc.strerror}", path=entry.path, hint="fix or remove the symbolic link"
        ) from exc


@dataclass
class MergedFragment:
    """Symbol -> every assignment in layer order; the last one is the value."""

    kind: str
    history: dict[str, list[Assignment]] = field(default_factory=dict)

    def add(self, assignment: Assignment) -> None:
        # Re-inserting moves the symbol to the end: render() then writes each symbol where its
        # final assignment was, as merge_config.sh does. Order matters for choices (the last
        # member set to y wins), so an override's pick must come after the board's.
        entries = self.history.pop(assignment.symbol, [])
        entries.append(assignment)
        self.history[assignment.symbol] = entries

    def extend(self, assignments: list[Assignment]) -> None:
        for a in assignments:
            self.add(a)

    def set(self, symbol: str, value: str | None, origin: Origin) -> None:
        self.add(Assignment(symbol, value, origin))

    def final(self, symbol: str) -> Assignment | None:
        entries = self.history.get(symbol)
        return entries[-1] if entries else None

    def value(self, symbol: str) -> str | None:
        a = self.final(symbol)
        return None if a is None else a.value

    def values(self) -> dict[str, str | None]:
        return {s: h[-1].value for s, h in self.history.items()}

    def overridden(self) -> list[tuple[Assignment, list[Assignment]]]:
        """(final, earlier assignments with a different value) for every redefined symbol."""
        out = []
        for entries in self.history.values():
            final = entries[-1]
            earlier = [a for a in entries[:-1] if a.value != final.value]
            if earlier:
                out.append((final, earlier))
        return out

    def render(self) -> str:
        header = f"# Merged {self.kind} fragment written by skiff; do not edit, edit the layers.\n"
        return header + "".join(h[-1].text + "\n" for h in self.history.values())

    def __len__(self) -> int:
        return len(self.history)


def unquote(value: str | None) -> str:
    """The string inside a Kconfig "..." value (with \\" and \\\\ unescaped)."""
    if value is None:
        return ""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def quote(text: str) -> str:
    check_value("a string", text)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
