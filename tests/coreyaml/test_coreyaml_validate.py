"""skiff-core.yaml validation: every problem kind, with the exact line (and column) it is on."""

from __future__ import annotations

import textwrap
import time

import pytest

from skiff_tui.core.config import coreyaml
from skiff_tui.core.config.coreyaml import CoreYamlError, Problem, load, outline, validate_text
from skiff_tui.core.errors import SkiffError

VALID = textwrap.dedent("""\
    # a complete, valid configuration
    containers:
      core:
        image: skiffos/skiff-core-debian:latest
        entrypoint: ["/lib/systemd/systemd"]
        env: ["container=docker", "LANG=C.UTF-8", "EMPTY="]
        stopSignal: RTMIN+3
        tty: true
        disableInit: true
        workingDirectory: /
        dns: ["1.1.1.1"]
        dnsSearch: [lan]
        hosts: ["printer:192.168.1.9"]
        mounts:
          - /dev:/dev
          - /etc/hostname:/etc/hostname:ro
          - /mnt/persist/core/log:/var/log:rw,z
        privileged: true
        startAfterCreate: true
        restartPolicy: on-failure:3
        capAdd: [ALL]
        hostIPC: true
        hostPID: false
        hostUTS: true
        hostNetwork: true
        securityOpt: [seccomp=unconfined]
        tmpFs:
          /run: rw,noexec,nosuid,size=65536k
        cmd: []
        ports:
          - hostPort: 8080
            containerPort: 80
    users:
      core:
        container: core
        containerUser: core
        containerShell: [/bin/bash]
        createContainerUser: true
        auth:
          copyRootKeys: true
          sshKeys: ["ssh-ed25519 AAAA user@host"]
          password: ""
          allowEmptyPassword: false
          locked: false
    images:
      skiffos/skiff-core-debian:latest:
        pull:
          pullPolicy: ifbuildfails
          registry: quay.io
        build:
          source: /opt/skiff/coreenv/base
          root: .
          dockerfile: Dockerfile
          buildArgs:
            DISTRO: bookworm
            EMPTY:
          preserveIntermediate: false
          squash: true
    """)


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


def test_valid_file_has_no_problems():
    assert validate_text(VALID) == []


def test_empty_and_comment_only_files_are_valid():
    assert validate_text("") == []
    assert validate_text("# nothing yet\n") == []
    assert validate_text("containers:\nusers:\nimages:\n") == []


def test_syntax_error_has_line_and_column():
    text = "containers:\n  core:\n    image: [unclosed\n    tty: true\nusers: {}\n"
    p = only(validate_text(text))
    assert p.severity == "error"
    assert p.message.startswith("YAML syntax error")
    assert p.line >= 3 and p.column is not None


def test_tab_indentation_is_a_syntax_error_with_advice():
    text = "containers:\n\tcore:\n"
    p = only(validate_text(text))
    assert p.line == 2 and p.column == 1
    assert "tabs" in p.message


def test_two_documents_are_a_syntax_error():
    p = only(validate_text("containers: {}\n---\nusers: {}\n"))
    assert p.line == 2
    assert "single document" in p.message


def test_unknown_key_policy_suggests_pullPolicy():
    text = textwrap.dedent("""\
        images:
          foo:latest:
            pull:
              policy: ifnotpresent
        """)
    p = only(validate_text(text))
    assert (p.line, p.column, p.severity) == (4, 7, "error")
    assert "'policy'" in p.message and "did you mean 'pullPolicy'?" in p.message
    assert p.path == 'images["foo:latest"].pull.policy'


@pytest.mark.parametrize(
    "typo, meant",
    [
        ("hostnetwork", "hostNetwork"),
        ("imgae", "image"),
        ("mount", "mounts"),
        ("working_dir", "workingDirectory"),
        ("tmpfs", "tmpFs"),
        ("cap_add", "capAdd"),
    ],
)
def test_unknown_container_keys_get_the_closest_key(typo, meant):
    text = f"containers:\n  c:\n    image: x\n    {typo}: 1\n"
    p = only(validate_text(text))
    assert p.line == 4 and p.column == 5
    assert f"did you mean {meant!r}?" in p.message
    assert p.path == f"containers.c.{typo}"


def test_unknown_top_level_key_without_a_close_match_lists_known_keys():
    p = only(validate_text("containers: {}\nzzzqqq: 1\n"))
    assert p.line == 2 and p.column == 1
    assert "containers, users, images" in p.message


def test_unknown_key_in_auth_and_ports():
    text = textwrap.dedent("""\
        containers:
          c:
            image: x
            ports:
              - hostPort: 1
                containerPort: 2
                protocol: tcp
        users:
          u:
            container: c
            auth:
              copyRootkeys: true
        """)
    problems = validate_text(text)
    assert [(p.line, p.path) for p in problems] == [
        (7, "containers.c.ports[0].protocol"),
        (12, "users.u.auth.copyRootkeys"),
    ]
    assert "did you mean 'copyRootKeys'?" in problems[1].message


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("tty", '"yes please"', "true or false"),
        ("privileged", "1", "true or false"),
        ("mounts", "/dev:/dev", "must be a list"),
        ("entrypoint", "/sbin/init", "must be a list"),
        ("tmpFs", "[/run]", "must be a map"),
        ("image", "{name: x}", "must be a string"),
        ("ports", "8080", "must be a list"),
        ("capAdd", "[[ALL]]", "entries must be strings"),
    ],
)
def test_wrong_types_in_a_container(key, value, words):
    image = "" if key == "image" else "    image: x\n"
    text = f"containers:\n  c:\n{image}    {key}: {value}\n"
    p = only(validate_text(text))
    line = 3 if key == "image" else 4
    assert p.line == line, p
    assert words in p.message
    assert p.path.startswith(f"containers.c.{key}")


def test_wrong_type_column_points_at_the_value():
    p = only(validate_text("containers:\n  c:\n    image: x\n    tty: maybe\n"))
    assert (p.line, p.column) == (4, 10)


def test_wrong_types_in_user_and_image():
    text = textwrap.dedent("""\
        containers:
          c: {image: x}
        users:
          u:
            container: c
            containerShell: /bin/bash
            createContainerUser: "true"
            auth: yes
        images:
          x:
            build:
              squash: 1
              buildArgs: [A=1]
            pull: always
        """)
    problems = validate_text(text)
    assert [(p.line, p.path) for p in problems] == [
        (6, "users.u.containerShell"),
        (7, "users.u.createContainerUser"),
        (8, "users.u.auth"),
        (12, "images.x.build.squash"),
        (13, "images.x.build.buildArgs"),
        (14, "images.x.pull"),
    ]
    assert all(p.severity == "error" for p in problems)


def test_sections_must_be_maps():
    problems = validate_text("containers: [a, b]\nusers: 3\n")
    assert [(p.line, p.path) for p in problems] == [(1, "containers"), (2, "users")]
    assert only(validate_text("- just\n- a list\n")).message.startswith("the file must be a map")


@pytest.mark.parametrize("value", ["Always", "ifnotexists", "never", "[always]"])
def test_pull_policy_enum(value):
    text = f"images:\n  x:\n    pull:\n      pullPolicy: {value}\n"
    p = only(validate_text(text))
    assert (p.line, p.column) == (4, 19)
    assert "always | ifnotpresent | ifbuildfails" in p.message


@pytest.mark.parametrize("value", ["always", "ifnotpresent", "ifbuildfails"])
def test_pull_policy_accepted_values(value):
    assert validate_text(f"images:\n  x:\n    pull:\n      pullPolicy: {value}\n") == []


def test_restart_policy_values():
    assert validate_text("containers:\n  c:\n    image: x\n    restartPolicy: unless-stopped\n") == []
    p = only(validate_text("containers:\n  c:\n    image: x\n    restartPolicy: sometimes\n"))
    assert p.line == 4 and "restartPolicy" in p.message


def test_missing_container_image():
    text = "containers:\n  core:\n    tty: true\n  other:\n  third:\n    image: ''\n"
    problems = validate_text(text)
    assert [(p.line, p.column, p.path) for p in problems] == [
        (2, 3, "containers.core"),
        (4, 3, "containers.other"),
        (6, 12, "containers.third.image"),
    ]
    assert "required key 'image'" in problems[0].message
    assert "required key 'image'" in problems[1].message
    assert "must not be empty" in problems[2].message


def test_missing_user_container():
    text = "containers:\n  c: {image: x}\nusers:\n  bob:\n    containerUser: bob\n"
    p = only(validate_text(text))
    assert (p.line, p.column, p.path) == (4, 3, "users.bob")
    assert "required key 'container'" in p.message


def test_user_naming_an_unknown_container():
    text = textwrap.dedent("""\
        containers:
          core: {image: x}
          desktop: {image: y}
        users:
          alice:
            container: cor
          bob:
            container: nothing_like_it
        """)
    problems = validate_text(text)
    assert [(p.line, p.column, p.path) for p in problems] == [
        (6, 16, "users.alice.container"),
        (8, 16, "users.bob.container"),
    ]
    assert "did you mean 'core'?" in problems[0].message
    assert "core, desktop" in problems[1].message


def test_user_container_check_with_no_containers_at_all():
    p = only(validate_text("users:\n  u:\n    container: core\n"))
    assert p.line == 3 and "no containers are defined" in p.message


@pytest.mark.parametrize(
    "mount, words",
    [
        ("/dev", "not src:dst"),
        ("/a:/b:ro:extra", "not src:dst"),
        (":/b", "empty source"),
        ("/a:", "empty destination"),
        ("/a:relative", "absolute"),
        ("/a:/b:readonly", "unknown option 'readonly'"),
    ],
)
def test_malformed_mounts(mount, words):
    text = f'containers:\n  c:\n    image: x\n    mounts:\n      - /ok:/ok\n      - "{mount}"\n'
    p = only(validate_text(text))
    assert (p.line, p.column) == (6, 9)
    assert p.path == "containers.c.mounts[1]"
    assert words in p.message


def test_mount_in_flow_list_has_its_column():
    p = only(validate_text('containers:\n  c:\n    image: x\n    mounts: ["/a:/a", "/b"]\n'))
    assert (p.line, p.column, p.path) == (4, 23, "containers.c.mounts[1]")


@pytest.mark.parametrize(
    "entry, words",
    [
        ("NOEQUALS", "not KEY=VALUE"),
        ("=value", "not a valid variable name"),
        ("1ABC=x", "not a valid variable name"),
        ("MY VAR=x", "not a valid variable name"),
    ],
)
def test_env_entries_must_be_key_value(entry, words):
    text = f'containers:\n  c:\n    image: x\n    env:\n      - A=1\n      - "{entry}"\n'
    p = only(validate_text(text))
    assert (p.line, p.path) == (6, "containers.c.env[1]")
    assert words in p.message


def test_ports_need_both_ports_as_integers():
    text = textwrap.dedent("""\
        containers:
          c:
            image: x
            ports:
              - hostPort: 80
              - containerPort: 80
              - {hostPort: "80", containerPort: 80}
              - {hostPort: 70000, containerPort: 1}
              - "80:80"
        """)
    problems = validate_text(text)
    assert [(p.line, p.path) for p in problems] == [
        (5, "containers.c.ports[0]"),
        (6, "containers.c.ports[1]"),
        (7, "containers.c.ports[2].hostPort"),
        (8, "containers.c.ports[3].hostPort"),
        (9, "containers.c.ports[4]"),
    ]
    assert "required key 'containerPort'" in problems[0].message
    assert "required key 'hostPort'" in problems[1].message
    assert "integer" in problems[2].message
    assert "0-65535" in problems[3].message
    assert "must be a map" in problems[4].message


def test_duplicate_keys_are_reported_on_the_second_one():
    text = "containers:\n  c:\n    image: x\n    tty: true\n    tty: false\n"
    p = only(validate_text(text))
    assert p.line == 5 and "first defined on line 4" in p.message


def test_boolean_looking_string_is_a_warning():
    text = "users:\n  u:\n    container: c\n    auth:\n      password: yes\ncontainers:\n  c: {image: x}\n"
    p = only(validate_text(text))
    assert p.severity == "warning" and p.line == 5
    assert coreyaml.errors([p]) == []


def test_deprecated_scratch_build_is_a_warning():
    p = only(validate_text("images:\n  x:\n    build:\n      scratchBuild: true\n"))
    assert (p.severity, p.line) == ("warning", 4)


def test_odd_user_name_is_a_warning():
    p = only(validate_text("containers:\n  c: {image: x}\nusers:\n  Bob Smith:\n    container: c\n"))
    assert (p.severity, p.line) == ("warning", 4)


def test_anchors_and_merge_keys_are_followed():
    text = textwrap.dedent("""\
        containers:
          base: &base
            image: x
            privileged: true
          second:
            <<: *base
            tty: true
        """)
    assert validate_text(text) == []


def test_problems_are_sorted_by_position():
    text = "users:\n  u:\n    container: nope\ncontainers:\n  c:\n    tty: 3\n"
    lines = [p.line for p in validate_text(text)]
    assert lines == sorted(lines) and len(lines) == 3


def test_validate_is_fast_enough_for_every_keystroke():
    """< 10 ms for a typical file. The best of several runs is taken so that other processes
    on a loaded machine do not decide the result."""
    big = VALID + "".join(f"  img{i}:\n    pull:\n      pullPolicy: always\n" for i in range(50))
    best = float("inf")
    for _ in range(30):
        start = time.perf_counter()
        validate_text(big)
        outline(big)
        best = min(best, time.perf_counter() - start)
    assert best * 1000 < 10, best


# -- outline -----------------------------------------------------------------------------------


def test_outline_of_a_valid_file():
    o = outline(VALID)
    assert o.complete
    assert [(e.name, e.line, e.detail) for e in o.containers] == [("core", 3, "skiffos/skiff-core-debian:latest")]
    assert [(e.name, e.line, e.detail) for e in o.users] == [("core", 34, "core")]
    assert [(e.name, e.line, e.detail) for e in o.images] == [("skiffos/skiff-core-debian:latest", 46, "pull+build")]


def test_outline_of_broken_yaml_reads_what_it_can():
    text = textwrap.dedent("""\
        containers:
          core:
            image: "debian:12"
            mounts: [/a:/a
          second:
            image: alpine
        users:
          me:
            container: second
        images:
          "debian:12":
            build:
              source: /x
        """)
    assert validate_text(text)[0].message.startswith("YAML syntax error")
    o = outline(text)
    assert not o.complete
    assert [(e.name, e.line, e.detail) for e in o.containers] == [("core", 2, "debian:12"), ("second", 5, "alpine")]
    assert [(e.name, e.line, e.detail) for e in o.users] == [("me", 8, "second")]
    assert [(e.name, e.line, e.detail) for e in o.images] == [("debian:12", 11, "build")]


def test_outline_of_garbage_is_empty_not_a_crash():
    for text in ["", ":::\n\t- [", "- a\n- b\n", "containers: 3\n", "\x00\x01"]:
        o = outline(text)
        assert o.containers == [] and o.users == [] and o.images == []


# -- load --------------------------------------------------------------------------------------


def test_load_returns_data(tmp_path):
    path = tmp_path / "skiff-core.yaml"
    path.write_text(VALID)
    data = load(path)
    assert data["users"]["core"]["container"] == "core"
    assert data["containers"]["core"]["mounts"][1] == "/etc/hostname:/etc/hostname:ro"


def test_load_empty_file_is_an_empty_dict(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("")
    assert load(path) == {}


def test_load_error_names_file_and_line(tmp_path):
    path = tmp_path / "skiff-core.yaml"
    path.write_text("containers:\n  c:\n    image: x\n    mounts: [/dev]\n    tty: 2\n")
    with pytest.raises(CoreYamlError) as info:
        load(path)
    err = info.value
    assert isinstance(err, SkiffError)
    assert err.line == 4 and err.path == path
    assert str(err).startswith(f"{path}:4: ")
    assert "(and 1 more)" in str(err)


def test_load_syntax_error_and_missing_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("containers:\n  c: [\n")
    with pytest.raises(CoreYamlError) as info:
        load(path)
    assert info.value.line == 3 and "syntax" in str(info.value)
    with pytest.raises(CoreYamlError, match="cannot read"):
        load(tmp_path / "absent.yaml")


def test_load_accepts_warnings(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("images:\n  x:\n    build:\n      scratchBuild: true\n")
    assert load(path)["images"]["x"]["build"]["scratchBuild"] is True


def test_known_keys_and_closest_key():
    assert "pullPolicy" in coreyaml.known_keys("pull")
    assert coreyaml.known_keys("top") == ["containers", "users", "images"]
    assert coreyaml.closest_key("policy", coreyaml.known_keys("pull")) == "pullPolicy"
    assert coreyaml.closest_key("HOSTPID", coreyaml.known_keys("container")) == "hostPID"
    assert coreyaml.closest_key("zzzz", coreyaml.known_keys("container")) is None


def test_pure_python_loader_gives_the_same_answers(monkeypatch):
    """Without libyaml PyYAML falls back to its Python parser: positions must not change."""
    text = VALID.replace("pullPolicy: ifbuildfails", "policy: ifbuildfails").replace("- /dev:/dev", "- /dev")
    fast = validate_text(text)
    monkeypatch.setattr(coreyaml, "_Loader", coreyaml.yaml.SafeLoader)
    slow = validate_text(text)
    assert fast == slow and [p.line for p in slow] == [15, 48]
    assert [(e.name, e.line) for e in outline(VALID).users] == [("core", 34)]
    syntax = only(validate_text("a: [\n"))
    assert (syntax.line, syntax.column) == (2, 1)


def test_effective_file_is_the_last_layer_that_has_one(tmp_path):
    layers = [tmp_path / name for name in ("skiff_core", "board", "core_alpine", "overrides")]
    for layer in layers:
        layer.mkdir()
    assert coreyaml.effective_file(layers) is None
    for layer in (layers[0], layers[2]):
        target = layer / coreyaml.LAYER_FILE
        target.parent.mkdir(parents=True)
        target.write_text("containers: {}\n")
    assert coreyaml.effective_file(layers) == layers[2] / coreyaml.LAYER_FILE


def test_problems_carry_a_quick_fix_when_there_is_one():
    p = only(validate_text("images:\n  x:\n    pull:\n      policy: always\n"))
    assert p.suggestion == "pullPolicy"
    text = "containers:\n  core: {image: x}\nusers:\n  u:\n    container: cor\n"
    assert only(validate_text(text)).suggestion == "core"
    assert only(validate_text("zzzqqq: 1\n")).suggestion is None
    assert only(validate_text("containers:\n  c:\n    image: x\n    tty: 3\n")).suggestion is None
