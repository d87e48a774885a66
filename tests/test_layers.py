"""The layering is enforced, not remembered: `lint-imports` checks the contracts in pyproject.toml
([tool.importlinter]) — core is the ground floor, services know no web framework, every domain is layered
router → service → policy → models, no domain imports the web edge, no cycles inside a package nor between
the packages of service/."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    out = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def test_the_contracts_named_in_contributing_are_configured():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    ids = {c["id"] for c in config["contracts"]}
    assert {"core-ground-floor", "services-no-web", "domain-layers", "edge-above-domains",
            "person-policy-own-domain", "no-cycles-inside-packages", "no-cycles-between-packages",
            "schema-no-models", "fhir-no-models"} <= ids


def test_no_contract_excuses_an_import():
    """An `ignore_imports` entry is a cycle excused by name; the edge gets auth and audit through wire() instead."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert [c["id"] for c in config["contracts"] if c.get("ignore_imports")] == []


def test_setuptools_ships_every_package():
    """A package missing from [tool.setuptools] packages is absent from a non-editable install."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "service").rglob("__init__.py")}
    on_disk |= {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "schema").rglob("__init__.py")}
    assert on_disk <= listed, sorted(on_disk - listed)
