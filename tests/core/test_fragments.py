"""docs/behaviour.md#layers-and-merging: fragment parsing, byte-wise order, last assignment wins with provenance."""

import pytest

from skiff_tui.core.config.fragments import MergedFragment, fragment_files, parse_lines, read_fragment
from skiff_tui.core.errors import FragmentError


def test_parse_assignments_not_set_comments_and_blanks(tmp_path):
    text = 'BR2_A=y\n\n# a comment\n# BR2_B is not set\nBR2_S="hello world"\n  BR2_I=0x10  \n'
    got = parse_lines(text, path=tmp_path / "f", layer="pkg/x")
    assert [(a.symbol, a.value, a.origin.line) for a in got] == [
        ("BR2_A", "y", 1),
        ("BR2_B", None, 4),
        ("BR2_S", '"hello world"', 5),
        ("BR2_I", "0x10", 6),
    ]


def test_malformed_line_names_file_and_line(tmp_path):
    f = tmp_path / "frag"
    f.write_text("BR2_A=y\nthis is garbage\n")
    with pytest.raises(FragmentError) as err:
        read_fragment(f, layer="x/y")
    assert str(err.value).startswith(f"{f}:2: not a Kconfig assignment")


def test_config_root_token_replaced_with_layer_dir(tmp_path):
    got = parse_lines('BR2_X="SKIFF_CONFIG_ROOT/resources/a"', path=None, layer="a/b", root=tmp_path)
    assert got[0].value == f'"{tmp_path}/resources/a"'


def test_bytewise_sorted_order_and_hidden_files_skipped(tmp_path):
    for name in ("b", "B", "a", "_x", ".hidden", "10", "9"):
        (tmp_path / name).write_text("")
    (tmp_path / "dir").mkdir()
    assert [p.name for p in fragment_files(tmp_path)] == ["10", "9", "B", "_x", "a", "b"]


def test_last_assignment_wins_and_keeps_history(tmp_path):
    merged = MergedFragment("buildroot")
    merged.extend(parse_lines("BR2_A=y\nBR2_B=y\n", path=tmp_path / "one", layer="base/pre"))
    merged.extend(parse_lines("# BR2_A is not set\nBR2_B=y\nBR2_C=1\n", path=tmp_path / "two", layer="pi/4"))
    assert merged.values() == {"BR2_A": None, "BR2_B": "y", "BR2_C": "1"}
    ((final, earlier),) = merged.overridden()  # B was re-set to the same value: not an override
    assert final.symbol == "BR2_A" and final.origin.layer == "pi/4" and final.origin.line == 1
    assert [(a.value, a.origin.layer) for a in earlier] == [("y", "base/pre")]
    assert merged.render().splitlines()[1:] == ["# BR2_A is not set", "BR2_B=y", "BR2_C=1"]


def test_render_places_each_symbol_at_its_final_assignment(tmp_path):
    """Kconfig lets the last choice member set to y win, so an override re-selecting a member
    must be written after the board's pick."""
    merged = MergedFragment("buildroot")
    merged.extend(parse_lines("BR2_x86_64=y\nBR2_A=y\n", path=None, layer="base/pre"))
    merged.extend(parse_lines("BR2_aarch64=y\n", path=None, layer="board"))
    merged.extend(parse_lines("BR2_x86_64=y\n", path=None, layer="overrides"))
    assert merged.render().splitlines()[1:] == ["BR2_A=y", "BR2_aarch64=y", "BR2_x86_64=y"]


def test_non_utf8_fragment_names_file_and_line(tmp_path):
    f = tmp_path / "frag"
    f.write_bytes(b'BR2_A=y\nBR2_B="\xff"\n')
    with pytest.raises(FragmentError) as err:
        read_fragment(f, layer="x/y")
    assert str(err.value) == f"{f}:2: fragment is not valid UTF-8 text"
