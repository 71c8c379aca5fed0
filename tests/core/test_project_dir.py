"""The skiff project directory: where it is found, what `skiff init` makes, which package roots
a project sees (core/paths.py, core/project.py)."""

from __future__ import annotations

import pytest
from skifftest import run_skiff

from skiff_tui.core import paths, readonly
from skiff_tui.core.errors import ReadOnlyError, SkiffError
from skiff_tui.core.project import init_project


def test_found_from_the_directory_and_its_parents(tmp_path):
    project, created = init_project(tmp_path / "proj")
    assert created and project == tmp_path / "proj"
    deep = project / "workspaces" / "a" / "b"
    deep.mkdir(parents=True)
    assert paths.project_dir({}, cwd=deep) == project.resolve()
    assert paths.find_project(tmp_path) is None


def test_skiff_root_dir_wins(tmp_path):
    a, _ = init_project(tmp_path / "a")
    b, _ = init_project(tmp_path / "b")
    assert paths.project_dir({"SKIFF_ROOT_DIR": str(b)}, cwd=a) == b.resolve()


def test_no_project_is_one_line_naming_skiff_init(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "PACKAGE_DIR", tmp_path / "site-packages" / "skiff_tui")  # as if installed
    with pytest.raises(paths.NoProjectError) as info:
        paths.root_dir({}, cwd=tmp_path)
    assert "\n" not in str(info.value) and "skiff init" in str(info.value)


def test_a_checkout_is_a_project_wherever_skiff_runs_from(tmp_path):
    checkout = paths.PACKAGE_DIR.parent
    if not paths.is_project(checkout):
        pytest.skip("skiff is not running from a checkout")
    assert paths.project_dir({}, cwd=tmp_path) == checkout


def test_init_is_idempotent_and_keeps_existing_files(tmp_path):
    project, _ = init_project(tmp_path / "p")
    (project / "overrides" / "README.md").write_text("mine\n")
    again, created = init_project(project)
    assert again == project and not created
    assert (project / "overrides" / "README.md").read_text() == "mine\n"


def test_init_refuses_the_installed_package_a_file_and_read_only(tmp_path):
    with pytest.raises(SkiffError, match="inside skiff's own package"):
        init_project(paths.PACKAGE_DIR / "here")
    assert not (paths.PACKAGE_DIR / "here").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(SkiffError, match="not a directory"):
        init_project(tmp_path / "file")
    readonly.set_read_only(True)
    try:
        with pytest.raises(ReadOnlyError):
            init_project(tmp_path / "ro")
    finally:
        readonly.set_read_only(False)
    assert not (tmp_path / "ro").exists()


def test_package_roots_add_the_library_unless_the_project_has_its_own_base(tmp_path):
    project, _ = init_project(tmp_path / "p")
    assert paths.package_roots(project) == [project / "configs", paths.library_dir()]
    assert paths.base_configs_dir(project) == paths.library_dir()
    (project / "configs" / "base").mkdir()
    assert paths.package_roots(project) == [project / "configs"]
    assert paths.base_configs_dir(project) == project / "configs"
    assert paths.package_roots(None) == [paths.library_dir()]


def test_cli_init_then_list_from_inside(tmp_path):
    r = run_skiff("init", str(tmp_path / "p"), env={"SKIFF_ROOT_DIR": ""})
    assert r.returncode == 0 and "created a skiff project" in r.stdout
    r = run_skiff("list", "--json", cwd=tmp_path / "p" / "configs", env={"SKIFF_ROOT_DIR": ""})
    import json

    data = json.loads(r.stdout)
    assert data["project"] == str((tmp_path / "p").resolve()) and "pi/4" in {p["name"] for p in data["packages"]}
