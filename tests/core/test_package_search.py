"""Finding a package: ranked matches over names, aliases (metadata/aliases) and descriptions."""

from pathlib import Path

from skifftest import REPO, run_skiff, write_package

from skiff_tui.core.library.packages import discover
from skiff_tui.core.library.search import DESCRIPTION, EXACT, NAME, PackageSearch

BOARDS = {
    "bananapi/m2": "Banana Pi M2 (Allwinner A31s, 4x Cortex-A7).",
    "odroid/c4": "ODROID-C4 (Amlogic S905X3, 4x Cortex-A55).",
    "orangepi/zero": "Orange Pi Zero (Allwinner H2+, 4x Cortex-A7).",
    "pine64/rock64": "ROCK64 (Rockchip RK3328, 4x Cortex-A53).",
    "pi/4": "Raspberry Pi 4 / 400 / CM4 (64-bit).",
    "pi/4x32": "Raspberry Pi 4 with a 32-bit kernel.",
    "pi/3": "Raspberry Pi 3 B / B+.",
}


def boards(tmp_path: Path):
    configs = tmp_path / "configs"
    for name, desc in BOARDS.items():
        write_package(configs, name, description=desc)
    (configs / "pi/4/metadata/aliases").write_text("rpi4, rpi 4\n# a comment line\nraspberry pi 4\n")
    return discover(configs, env={})


def test_aliases_file_one_per_line_or_comma_separated(tmp_path):
    index = boards(tmp_path)
    assert index.packages["pi/4"].aliases == ("rpi4", "rpi 4", "raspberry pi 4")
    assert index.packages["pi/3"].aliases == ()


def test_pi_4_ranks_pi_4_first_then_names_then_descriptions(tmp_path):
    search = PackageSearch(boards(tmp_path).packages.values())
    ranked = search.rank("pi 4")
    assert ranked[0] == ("pi/4", EXACT)
    assert ranked[1] == ("pi/4x32", NAME)
    tiers = dict(ranked)
    # boards that only say "pi" or "4" in their description come last
    assert tiers["bananapi/m2"] == DESCRIPTION and tiers["orangepi/zero"] == DESCRIPTION
    assert "odroid/c4" not in tiers  # "pi" is nowhere in it
    assert [t for _n, t in ranked] == sorted(t for _n, t in ranked)


def test_aliases_find_the_board(tmp_path):
    search = PackageSearch(boards(tmp_path).packages.values())
    for query in ("rpi4", "RPi 4", "raspberry pi 4", "Raspberry-Pi-4", "PI/4"):
        assert search.names(query)[0] == "pi/4", query
    assert search.names("rpi4") == ["pi/4"]
    assert search.names("") is None
    assert search.names("nothing-like-this") == []


def test_library_boards_rank_first_for_their_common_names():
    index = discover(REPO / "configs", env={})
    search = PackageSearch(index.packages.values())
    assert search.names("pi 4")[0] == "pi/4"
    assert search.names("rpi4")[0] == "pi/4"
    assert search.names("raspberry pi 3")[0] == "pi/3"
    assert search.names("pinephone")[0] == "pine64/phone"
    assert search.names("steam deck")[0] == "valve/deck"


def test_skiff_list_filters_and_ranks(tmp_path):
    boards(tmp_path)
    (tmp_path / "workspaces").mkdir()
    res = run_skiff("list", "pi", "4", env={"SKIFF_ROOT_DIR": str(tmp_path)})
    assert res.returncode == 0, res.stderr
    listing = res.stdout.split("(best first):\n", 1)[1].split("\n\n", 1)[0].split("\n")
    assert [line.split()[0] for line in listing][:2] == ["pi/4", "pi/4x32"]
    res = run_skiff("list", "rpi4", env={"SKIFF_ROOT_DIR": str(tmp_path)})
    assert "  pi/4 " in res.stdout and "pi/3" not in res.stdout.split("Build commands")[0]
