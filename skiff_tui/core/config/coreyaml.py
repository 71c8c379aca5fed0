"""skiff-core.yaml: the schema of the user-to-container map and a validator with line numbers
(docs/behaviour.md#skiff-coreyaml).

The skiff-core daemon silently ignores keys it does not know, so a typo (``policy:`` for
``pullPolicy``) is lost without a word. This module reads the user's *text* with PyYAML's node
API (``yaml.compose``), so every problem carries the 1-based line and column it was found at,
and a key path such as ``containers.core.mounts[1]`` (list indexes count from 0).

The editor calls :func:`validate_text` and :func:`outline` on every keystroke: both work on a
string, never touch the disk, and take well under a millisecond for a typical file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import SkiffError, read_user_text

_Loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader]
try:  # libyaml is much faster; the pure-Python loader gives identical nodes and marks.
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

ERROR = "error"
WARNING = "warning"

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
MERGE = "tag:yaml.org,2002:merge"


class CoreYamlError(SkiffError):
    """A skiff-core.yaml file that cannot be read or does not validate."""


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based
    column: int | None  # 1-based, None when unknown
    severity: str  # "error" or "warning"
    message: str
    path: str = ""  # key path, e.g. containers.core.mounts[1]
    # A replacement for the text at line:column that would fix it (the key or container name
    # meant), for an editor's quick fix; None when there is no single obvious fix.
    suggestion: str | None = None

    def __str__(self) -> str:
        where = f"{self.line}:{self.column}" if self.column else f"{self.line}"
        at = f" [{self.path}]" if self.path else ""
        return f"{where}: {self.severity}: {self.message}{at}"


# --------------------------------------------------------------------------------------------
# The schema
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One key of a mapping: its value kind and a one-line description for the editor."""

    kind: str  # str | bool | int | strlist | strmap | argmap | enum | object | objlist
    doc: str
    required: bool = False
    choices: tuple[str, ...] = ()
    default: str | None = None
    fields: dict[str, Field] | None = None  # for object / objlist
    item_check: Callable[[str], str | None] | None = None  # for strlist: message or None
    deprecated: str | None = None

    @property
    def type_name(self) -> str:
        return {
            "str": "a string",
            "bool": "true or false",
            "int": "an integer",
            "strlist": "a list of strings",
            "strmap": "a map of strings",
            "argmap": "a map of strings",
            "enum": "one of " + " | ".join(self.choices),
            "object": "a map",
            "objlist": "a list of maps",
        }[self.kind]


MOUNT_OPTIONS = frozenset(
    {
        "ro",
        "rw",
        "z",
        "Z",
        "nocopy",
        "consistent",
        "cached",
        "delegated",
        "shared",
        "rshared",
        "slave",
        "rslave",
        "private",
        "rprivate",
    }
)
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
RESTART_POLICY = re.compile(r"(no|always|unless-stopped|on-failure(:[0-9]+)?)\Z")
USER_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}\$?\Z")
CONTAINER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")


def check_mount(text: str) -> str | None:
    """Why a mount entry is malformed (``src:dst[:opts]``), or None."""
    parts = text.split(":")
    if len(parts) < 2 or len(parts) > 3:
        return f"mount {text!r} is not src:dst or src:dst:ro"
    src, dst = parts[0], parts[1]
    if not src:
        return f"mount {text!r} has an empty source path"
    if not dst:
        return f"mount {text!r} has an empty destination path"
    if not dst.startswith("/"):
        return f"mount {text!r}: the destination {dst!r} must be an absolute path"
    if len(parts) == 3:
        bad = [o for o in parts[2].split(",") if o not in MOUNT_OPTIONS]
        if bad:
            return (
                f"mount {text!r}: unknown option {bad[0]!r} (use ro or rw, optionally with z/Z or a propagation mode)"
            )
    return None


def check_env(text: str) -> str | None:
    name, eq, _ = text.partition("=")
    if not eq:
        return f"env entry {text!r} is not KEY=VALUE"
    if not ENV_NAME.match(name):
        return f"env entry {text!r}: {name!r} is not a valid variable name"
    return None


PORT_FIELDS = {
    "hostPort": Field("int", "TCP port on the host (0 picks a free one)", required=True),
    "containerPort": Field("int", "TCP port inside the container", required=True),
}

CONTAINER_FIELDS: dict[str, Field] = {
    "image": Field("str", "Docker image the container runs", required=True),
    "tty": Field("bool", "allocate a terminal for the container"),
    "workingDirectory": Field("str", "working directory inside the container"),
    "mounts": Field("strlist", "bind mounts, each src:dst or src:dst:ro", item_check=check_mount),
    "disableInit": Field("bool", "do not run Docker's init process (set when the image runs systemd)"),
    "privileged": Field("bool", "run the container privileged"),
    "capAdd": Field("strlist", "Linux capabilities to add (ALL for every one)"),
    "hostIPC": Field("bool", "share the host's IPC namespace"),
    "hostPID": Field("bool", "share the host's process namespace"),
    "hostUTS": Field("bool", "share the host's hostname (UTS namespace)"),
    "hostNetwork": Field("bool", "share the host's network namespace"),
    "securityOpt": Field("strlist", "Docker security options, e.g. seccomp=unconfined"),
    "tmpFs": Field("strmap", "tmpfs mounts: container path -> mount options"),
    "entrypoint": Field("strlist", "entrypoint command and arguments"),
    "cmd": Field("strlist", "command and arguments passed to the entrypoint"),
    "env": Field("strlist", "environment variables, each KEY=VALUE", item_check=check_env),
    "ports": Field("objlist", "published ports, each {hostPort, containerPort}", fields=PORT_FIELDS),
    "dns": Field("strlist", "DNS servers"),
    "dnsSearch": Field("strlist", "DNS search domains"),
    "hosts": Field("strlist", "extra /etc/hosts entries, each host:address"),
    "restartPolicy": Field("str", "Docker restart policy: no, always, unless-stopped, on-failure[:N]"),
    "startAfterCreate": Field("bool", "start the container as soon as it is created"),
    "stopSignal": Field("str", "signal that stops the container (RTMIN+3 for systemd)"),
}

AUTH_FIELDS: dict[str, Field] = {
    "copyRootKeys": Field("bool", "copy root's authorized SSH keys to this user"),
    "sshKeys": Field("strlist", "additional SSH public keys"),
    "password": Field("str", "login password (empty: a random one unless allowEmptyPassword)"),
    "allowEmptyPassword": Field("bool", "allow an empty password"),
    "locked": Field("bool", "lock the password (SSH keys only)"),
}

USER_FIELDS: dict[str, Field] = {
    "container": Field("str", "name of the container this user logs into", required=True),
    "containerUser": Field("str", "user name inside the container"),
    "containerShell": Field("strlist", "shell command inside the container, e.g. [/bin/bash]"),
    "createContainerUser": Field("bool", "create the user inside the container if missing"),
    "auth": Field("object", "how the host user authenticates", fields=AUTH_FIELDS),
}

PULL_FIELDS: dict[str, Field] = {
    "pullPolicy": Field(
        "enum", "when to pull the image", choices=("always", "ifnotpresent", "ifbuildfails"), default="ifnotpresent"
    ),
    "registry": Field("str", "registry to pull from, e.g. quay.io"),
}

BUILD_FIELDS: dict[str, Field] = {
    "source": Field("str", "directory, git URL or tarball holding the build context"),
    "root": Field("str", "sub-directory of the source used as the build root"),
    "dockerfile": Field("str", "Dockerfile inside the build root", default="Dockerfile"),
    "buildArgs": Field("argmap", "Docker build arguments: name -> value"),
    "preserveIntermediate": Field("bool", "keep intermediate build containers"),
    "squash": Field("bool", "squash the result into one layer"),
    "scratchBuild": Field(
        "bool", "old architecture-rewriting builder", deprecated="scratchBuild is deprecated in skiff-core; remove it"
    ),
}

IMAGE_FIELDS: dict[str, Field] = {
    "pull": Field("object", "how to pull the image", fields=PULL_FIELDS),
    "build": Field("object", "how to build the image when it cannot be pulled", fields=BUILD_FIELDS),
}

TOP_SECTIONS: dict[str, tuple[str, dict[str, Field]]] = {
    "containers": ("container", CONTAINER_FIELDS),
    "users": ("user", USER_FIELDS),
    "images": ("image", IMAGE_FIELDS),
}

# Misspellings seen in the wild that difflib would not find on its own.
SYNONYMS = {
    "policy": "pullPolicy",
    "pull_policy": "pullPolicy",
    "workdir": "workingDirectory",
    "working_dir": "workingDirectory",
    "volumes": "mounts",
    "volume": "mounts",
    "environment": "env",
    "command": "cmd",
    "shell": "containerShell",
    "user": "containerUser",
    "cap_add": "capAdd",
    "security_opt": "securityOpt",
    "tmpfs": "tmpFs",
    "restart": "restartPolicy",
    "dns_search": "dnsSearch",
    "extra_hosts": "hosts",
    "stop_signal": "stopSignal",
    "build_args": "buildArgs",
    "args": "buildArgs",
    "keys": "sshKeys",
    "authorized_keys": "sshKeys",
    "network_mode": "hostNetwork",
    "pid": "hostPID",
    "ipc": "hostIPC",
}


def known_keys(kind: str) -> list[str]:
    """Keys allowed in a mapping of this kind: top, container, user, auth, image, pull, build, port."""
    table = {
        "top": list(TOP_SECTIONS),
        "container": list(CONTAINER_FIELDS),
        "user": list(USER_FIELDS),
        "auth": list(AUTH_FIELDS),
        "image": list(IMAGE_FIELDS),
        "pull": list(PULL_FIELDS),
        "build": list(BUILD_FIELDS),
        "port": list(PORT_FIELDS),
    }
    return table[kind]


def closest_key(word: str, candidates: list[str]) -> str | None:
    """The known key a misspelt one most likely meant, or None."""
    if word in SYNONYMS and SYNONYMS[word] in candidates:
        return SYNONYMS[word]
    lowered = {c.lower(): c for c in candidates}
    if word.lower() in lowered:
        return lowered[word.lower()]
    squashed = word.lower().replace("_", "").replace("-", "")
    if squashed in lowered:
        return lowered[squashed]
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
        close = [lowered[c] for c in close]
    return close[0] if close else None


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _seg(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else '"' + key.replace('"', '\\"') + '"'


def _join(path: str, key: str) -> str:
    s = _seg(key)
    if not path:
        return s if not s.startswith('"') else f"[{s}]"
    return f"{path}.{s}" if not s.startswith('"') else f"{path}[{s}]"


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, node: Node, severity: str, message: str, path: str, suggestion: str | None = None) -> None:
        mark = node.start_mark
        self.problems.append(Problem(mark.line + 1, mark.column + 1, severity, message, path, suggestion))

    # -- helpers -------------------------------------------------------------------------------

    def _items(self, node: MappingNode, path: str) -> list[tuple[str, ScalarNode, Node]]:
        """(key text, key node, value node) with duplicate and non-scalar keys reported."""
        out: list[tuple[str, ScalarNode, Node]] = []
        seen: dict[str, ScalarNode] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, ScalarNode):
                self.add(knode, ERROR, "a key must be a plain name, not a list or map", path)
                continue
            if knode.tag == MERGE:
                # "<<: *anchor": flatten the merged mapping(s) in.
                merged = (
                    [vnode]
                    if isinstance(vnode, MappingNode)
                    else (vnode.value if isinstance(vnode, SequenceNode) else [])
                )
                for m in merged:
                    if isinstance(m, MappingNode):
                        for k2, v2 in m.value:
                            if isinstance(k2, ScalarNode) and k2.value not in seen:
                                out.append((k2.value, k2, v2))
                                seen[k2.value] = k2
                continue
            key = knode.value
            if key in seen:
                first = seen[key].start_mark.line + 1
                self.add(knode, ERROR, f"duplicate key {key!r} (first defined on line {first})", _join(path, key))
                continue
            seen[key] = knode
            out.append((key, knode, vnode))
        return out

    @staticmethod
    def _is_null(node: Node) -> bool:
        return isinstance(node, ScalarNode) and node.tag == NULL

    def _expect_mapping(self, node: Node, path: str, what: str) -> TypeGuard[MappingNode]:
        if isinstance(node, MappingNode):
            return True
        self.add(node, ERROR, f"{what} must be a map (key: value lines), found {_describe(node)}", path)
        return False

    # -- walkers -------------------------------------------------------------------------------

    def document(self, root: Node | None) -> dict[str, dict[str, tuple[ScalarNode, Node]]]:
        sections: dict[str, dict[str, tuple[ScalarNode, Node]]] = {k: {} for k in TOP_SECTIONS}
        if root is None or self._is_null(root):
            return sections
        if not self._expect_mapping(root, "", "the file"):
            return sections
        for key, knode, vnode in self._items(root, ""):
            if key not in TOP_SECTIONS:
                self._unknown(knode, key, list(TOP_SECTIONS), "", "top-level key")
                continue
            if self._is_null(vnode):
                continue
            kind, fields = TOP_SECTIONS[key]
            if not self._expect_mapping(vnode, key, f"{key!r}"):
                continue
            for name, nknode, nvnode in self._items(vnode, key):
                npath = _join(key, name)
                sections[key][name] = (nknode, nvnode)
                if not name.strip():
                    self.add(nknode, ERROR, f"empty {kind} name", npath)
                if kind == "user" and not USER_NAME.match(name):
                    self.add(
                        nknode,
                        WARNING,
                        f"{name!r} is not a usual Linux user name (lower-case letters, digits, _ and -)",
                        npath,
                    )
                if kind == "container" and not CONTAINER_NAME.match(name):
                    self.add(
                        nknode,
                        WARNING,
                        f"{name!r} is not a valid Docker container name "
                        "(letters, digits, _ . - and starting with a letter or digit)",
                        npath,
                    )
                if self._is_null(nvnode):
                    self._missing_required(nknode, fields, npath, kind)
                    continue
                if not self._expect_mapping(nvnode, npath, f"{kind} {name!r}"):
                    continue
                self.mapping(nvnode, fields, npath, kind, nknode)
        self._cross_check(sections)
        return sections

    def _missing_required(self, at: Node, fields: dict[str, Field], path: str, kind: str) -> None:
        for fname, f in fields.items():
            if f.required:
                self.add(at, ERROR, f"{kind} is missing the required key {fname!r}", path)

    def _unknown(self, knode: ScalarNode, key: str, candidates: list[str], path: str, what: str) -> None:
        hint = closest_key(key, candidates)
        msg = f"unknown {what} {key!r}, which skiff-core ignores"
        msg += f": did you mean {hint!r}?" if hint else f"; known keys: {', '.join(candidates)}"
        self.add(knode, ERROR, msg, _join(path, key), suggestion=hint)

    def mapping(self, node: MappingNode, fields: dict[str, Field], path: str, kind: str, owner: Node) -> None:
        present = set()
        for key, knode, vnode in self._items(node, path):
            f = fields.get(key)
            kpath = _join(path, key)
            if f is None:
                self._unknown(knode, key, list(fields), path, f"{kind} key")
                continue
            present.add(key)
            if f.deprecated:
                self.add(knode, WARNING, f.deprecated, kpath)
            self.value(vnode, f, kpath, key)
        for fname, f in fields.items():
            if f.required and fname not in present:
                self.add(owner, ERROR, f"{kind} is missing the required key {fname!r}", path)

    def value(self, node: Node, f: Field, path: str, key: str) -> None:
        if self._is_null(node):
            if f.required:
                self.add(node, ERROR, f"{key!r} must not be empty", path)
            return
        kind = f.kind
        if kind == "str":
            if not isinstance(node, ScalarNode):
                self.add(node, ERROR, f"{key!r} must be a string, found {_describe(node)}", path)
            elif f.required and not node.value.strip():
                self.add(node, ERROR, f"{key!r} must not be empty", path)
            elif node.tag == BOOL:
                self.add(
                    node, WARNING, f"{key!r}: {node.value!r} reads as a boolean; quote it if you mean the text", path
                )
            elif key == "restartPolicy" and not RESTART_POLICY.match(node.value):
                self.add(
                    node,
                    ERROR,
                    f"restartPolicy {node.value!r} is not one of no, always, unless-stopped, on-failure[:N]",
                    path,
                )
        elif kind == "bool":
            if not (isinstance(node, ScalarNode) and node.tag == BOOL):
                self.add(node, ERROR, f"{key!r} must be true or false, found {_describe(node)}", path)
        elif kind == "int":
            if not (isinstance(node, ScalarNode) and node.tag == INT):
                self.add(node, ERROR, f"{key!r} must be an integer, found {_describe(node)}", path)
            elif key in PORT_FIELDS:
                try:
                    port = int(node.value, 0)
                except ValueError:
                    port = -1
                if not 0 <= port <= 65535:
                    self.add(node, ERROR, f"{key!r} {node.value} is not a port number (0-65535)", path)
        elif kind == "enum":
            if not isinstance(node, ScalarNode) or node.value not in f.choices:
                found = repr(node.value) if isinstance(node, ScalarNode) else _describe(node)
                self.add(node, ERROR, f"{key!r} must be one of {' | '.join(f.choices)}, found {found}", path)
        elif kind == "strlist":
            if not isinstance(node, SequenceNode):
                self.add(
                    node,
                    ERROR,
                    f"{key!r} must be a list, found {_describe(node)}"
                    + (" (write it as [ ... ] or one '- item' per line)" if isinstance(node, ScalarNode) else ""),
                    path,
                )
                return
            for i, item in enumerate(node.value):
                ipath = f"{path}[{i}]"
                if not isinstance(item, ScalarNode) or item.tag == NULL:
                    self.add(item, ERROR, f"{key!r} entries must be strings, found {_describe(item)}", ipath)
                    continue
                if f.item_check is not None:
                    msg = f.item_check(item.value)
                    if msg:
                        self.add(item, ERROR, msg, ipath)
        elif kind in ("strmap", "argmap"):
            if not self._expect_mapping(node, path, repr(key)):
                return
            for k, _knode, v in self._items(node, path):
                if not isinstance(v, ScalarNode) or (kind == "strmap" and v.tag == NULL):
                    self.add(
                        v, ERROR, f"{key!r}: the value of {k!r} must be a string, found {_describe(v)}", _join(path, k)
                    )
        elif kind == "object":
            if self._expect_mapping(node, path, repr(key)):
                self.mapping(node, f.fields or {}, path, key, node)
        elif kind == "objlist":
            if not isinstance(node, SequenceNode):
                self.add(node, ERROR, f"{key!r} must be a list, found {_describe(node)}", path)
                return
            for i, item in enumerate(node.value):
                ipath = f"{path}[{i}]"
                if self._expect_mapping(item, ipath, f"each {key!r} entry"):
                    self.mapping(item, f.fields or {}, ipath, "port", item)

    def _cross_check(self, sections: dict[str, dict[str, tuple[ScalarNode, Node]]]) -> None:
        containers = list(sections["containers"])
        for name, (_knode, vnode) in sections["users"].items():
            if not isinstance(vnode, MappingNode):
                continue
            for key, _ck, cv in self._items_quiet(vnode):
                if key != "container" or not isinstance(cv, ScalarNode) or cv.tag == NULL:
                    continue
                target = cv.value
                if target and target not in sections["containers"]:
                    close = difflib.get_close_matches(target, containers, n=1, cutoff=0.5)
                    hint = (
                        f"did you mean {close[0]!r}?"
                        if close
                        else ("defined containers: " + ", ".join(containers))
                        if containers
                        else "no containers are defined"
                    )
                    self.add(
                        cv,
                        ERROR,
                        f"user {name!r} names container {target!r}, which is not defined under containers: {hint}",
                        _join(_join("users", name), "container"),
                        suggestion=close[0] if close else None,
                    )

    @staticmethod
    def _items_quiet(node: MappingNode) -> list[tuple[str, Node, Node]]:
        return [(k.value, k, v) for k, v in node.value if isinstance(k, ScalarNode)]


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a map"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == NULL:
        return "nothing"
    text = node.value if len(node.value) <= 40 else node.value[:37] + "..."
    kind = {BOOL: "boolean", INT: "number", FLOAT: "number"}.get(node.tag, "text")
    return f"{kind} {text!r}"


def _compose(text: str) -> Node | None:
    return yaml.compose(text, Loader=_Loader)


def _syntax_problem(exc: yaml.YAMLError, text: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    msg = f"YAML syntax error: {problem}"
    if context:
        msg += f" ({context})"
    if mark is None:
        return Problem(1, None, ERROR, msg)
    lines = text.splitlines()
    if mark.line < len(lines) and "\t" in lines[mark.line][: mark.column + 1]:
        msg += "; indent with spaces, not tabs"
    return Problem(mark.line + 1, mark.column + 1, ERROR, msg)


def validate_text(text: str, *, path: str | Path | None = None) -> list[Problem]:
    """Every problem in a skiff-core.yaml text, sorted by position. ``path`` is only for messages."""
    del path  # positions are relative to the text; callers add the file name when they print
    try:
        root = _compose(text)
    except yaml.YAMLError as exc:
        return [_syntax_problem(exc, text)]
    checker = _Checker()
    checker.document(root)
    problems = checker.problems + _tag_problems(root)
    return sorted(problems, key=lambda p: (p.line, p.column or 0))


# Tags a safe loader builds (implicit ones and `<<` merge keys); anything else (`!foo`,
# `!!python/object`) cannot be loaded, so it is an error here rather than a crash in load().
_SAFE_TAGS = {
    f"tag:yaml.org,2002:{t}"
    for t in (
        "str",
        "int",
        "float",
        "bool",
        "null",
        "map",
        "seq",
        "merge",
        "timestamp",
        "binary",
        "omap",
        "pairs",
        "set",
        "value",
    )
}


def _tag_problems(root: Node | None) -> list[Problem]:
    out: list[Problem] = []
    seen: set[int] = set()
    todo = [root] if root is not None else []
    while todo:
        node = todo.pop()
        if id(node) in seen:  # aliases share nodes
            continue
        seen.add(id(node))
        if node.tag not in _SAFE_TAGS:
            out.append(
                Problem(
                    node.start_mark.line + 1,
                    node.start_mark.column + 1,
                    ERROR,
                    f"YAML tag {node.tag!r} is not supported; remove it",
                )
            )
        if isinstance(node, MappingNode):
            for k, v in node.value:
                todo += [k, v]
        elif isinstance(node.value, list):
            todo += node.value
    return out


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


# --------------------------------------------------------------------------------------------
# Outline
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutlineEntry:
    name: str
    line: int  # 1-based line of the entry's key
    detail: str = ""  # container: its image; user: its container; image: pull/build summary


@dataclass
class Outline:
    containers: list[OutlineEntry] = field(default_factory=list)
    users: list[OutlineEntry] = field(default_factory=list)
    images: list[OutlineEntry] = field(default_factory=list)
    complete: bool = True  # False when the YAML is broken and this was read line by line

    def section(self, name: str) -> list[OutlineEntry]:
        entries: list[OutlineEntry] = getattr(self, name)
        return entries


_DETAIL_KEY = {"containers": "image", "users": "container"}


def outline(text: str) -> Outline:
    """Containers, users and images with their lines; broken YAML still yields what can be read."""
    try:
        root = _compose(text)
    except yaml.YAMLError:
        return _outline_lines(text)
    result = Outline()
    if not isinstance(root, MappingNode):
        return result
    for knode, vnode in root.value:
        if not isinstance(knode, ScalarNode) or knode.value not in TOP_SECTIONS:
            continue
        if not isinstance(vnode, MappingNode):
            continue
        entries = result.section(knode.value)
        for nk, nv in vnode.value:
            if not isinstance(nk, ScalarNode):
                continue
            entries.append(OutlineEntry(nk.value, nk.start_mark.line + 1, _node_detail(knode.value, nv)))
    return result


def _node_detail(section: str, node: Node) -> str:
    if not isinstance(node, MappingNode):
        return ""
    if section == "images":
        parts = [k.value for k, _ in node.value if isinstance(k, ScalarNode) and k.value in IMAGE_FIELDS]
        return "+".join(parts)
    want = _DETAIL_KEY[section]
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == want and isinstance(v, ScalarNode):
            value: str = v.value
            return value
    return ""


_LINE_KEY = re.compile(
    r"""(?P<indent>[ ]*)(?P<key>"[^"]*"|'[^']*'|[^\s#'"-][^#]*?|-[^\s#][^#]*?)"""
    r"""[ \t]*:(?:[ \t]+(?P<value>[^#]*?))?[ \t]*(?:#.*)?\Z"""
)


def _unquote_key(key: str) -> str:
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
        return key[1:-1]
    return key


def _outline_lines(text: str) -> Outline:
    """Line-based reading of block-style YAML, for texts the parser rejects."""
    result = Outline(complete=False)
    section: str | None = None
    entry_indent: int | None = None
    current: list[OutlineEntry] | None = None
    pending: tuple[str, int, int] | None = None  # (name, line, indent) of the open entry
    detail = ""

    def close() -> None:
        nonlocal pending, detail
        if pending is not None and current is not None:
            current.append(OutlineEntry(pending[0], pending[1], detail))
        pending, detail = None, ""

    for lineno, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _LINE_KEY.match(raw.rstrip())
        indent = len(raw) - len(raw.lstrip(" "))
        if indent == 0:
            close()
            section = None
            if m and _unquote_key(m.group("key")) in TOP_SECTIONS:
                section = _unquote_key(m.group("key"))
                current = result.section(section)
                entry_indent = None
            continue
        if section is None or not m:
            continue
        if entry_indent is None:
            entry_indent = indent
        if indent == entry_indent:
            close()
            pending = (_unquote_key(m.group("key")), lineno, indent)
        elif indent > entry_indent and pending is not None:
            key = _unquote_key(m.group("key"))
            value = (m.group("value") or "").strip()
            if section == "images":
                if key in IMAGE_FIELDS and key not in detail.split("+"):
                    detail = f"{detail}+{key}" if detail else key
            elif key == _DETAIL_KEY.get(section) and value and not detail:
                detail = _unquote_key(value)
    close()
    return result


# --------------------------------------------------------------------------------------------
# Where the file lives in a layer
# --------------------------------------------------------------------------------------------

# skiff/core and every core/<distro> package ship their default here; an override layer with
# the same path replaces it (root overlays are copied in layer order, later files win). On the
# device, /opt/skiff/scripts/skiff-core.sh copies it to /mnt/persist/skiff/core/config.yaml.
LAYER_FILE = Path("root_overlay/opt/skiff/coreenv/defconfig.yaml")


def effective_file(layer_dirs: list[Path]) -> Path | None:
    """The skiff-core.yaml that ends up in the image: the last layer (in stack order) that has one."""
    found = None
    for layer in layer_dirs:
        candidate = Path(layer) / LAYER_FILE
        if candidate.is_file():
            found = candidate
    return found


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def load(path: str | Path) -> dict[str, Any]:
    """The parsed file as plain data; a CoreYamlError naming file:line when it does not validate.

    Warnings do not stop loading; the first error does (its message says how many more there are).
    """
    path = Path(path)
    text = read_user_text(path, CoreYamlError, "skiff-core config")
    problems = errors(validate_text(text, path=path))
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        where = f" at {first.path}" if first.path else ""
        raise CoreYamlError(f"{first.message}{where}{more}", path=path, line=first.line)
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:  # whatever validation let through is still one line
        problem = _syntax_problem(exc, text)
        raise CoreYamlError(problem.message, path=path, line=problem.line) from exc
    return data if isinstance(data, dict) else {}
