"""The docs: the site builds with --strict, the API reference covers every public module, the
command outputs on docs/cli.md are what the commands print, the diagrams are the committed SVGs,
and README's test command is what CI runs."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, DOCS / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # (dataclasses look their module up there)
    spec.loader.exec_module(module)
    return module


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT), NO_MKDOCS_2_WARNING="1")


def test_site_builds_strictly(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    html = (tmp_path / "site" / "api" / "policies" / "index.html").read_text(encoding="utf-8")
    assert "make_policy" in html and "register_policy" in html  # rendered from the docstrings


def test_api_reference_covers_every_public_module():
    """docs/api/*.md and the nav are what docs/scripts/api_pages.py writes (run it after adding
    a module), and every public module is on a page."""
    api_pages = _script("api_pages")
    assert api_pages.main(["--check"]) == 0, "run python docs/scripts/api_pages.py"
    documented = set()
    for page in (DOCS / "api").glob("*.md"):
        documented |= set(re.findall(r"^::: ([\w.]+)$", page.read_text(encoding="utf-8"), re.M))
    public = {name for name, _ in api_pages.public_modules()}
    assert "inventory_zoo.policies.registry" in public and "inventory_zoo.core._plan" not in public
    assert documented == public


def test_cli_page_shows_what_the_commands_print():
    """Every command on docs/cli.md runs and prints exactly the output shown under it
    (regenerate with `python docs/scripts/cli_outputs.py`)."""
    cli_outputs = _script("cli_outputs")
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert len(cli_outputs.commands(text)) >= 10
    with __import__("tempfile").TemporaryDirectory() as cwd:
        rendered = cli_outputs.render(text, cwd)
    assert rendered == text, "docs/cli.md is out of date: run python docs/scripts/cli_outputs.py"


def test_diagrams_are_the_committed_svgs_and_no_mermaid_is_left():
    diagrams = _script("diagrams")
    for name, build in diagrams.DIAGRAMS.items():
        assert (DOCS / "img" / name).read_text(encoding="utf-8") == build().svg(), name
    for page in DOCS.rglob("*.md"):
        assert "```mermaid" not in page.read_text(encoding="utf-8"), page
    used = {m for page in DOCS.rglob("*.md") for m in re.findall(r"img/(\w+\.svg)", page.read_text("utf-8"))}
    assert used == set(diagrams.DIAGRAMS)


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (test_line,) = [
        line for line in readme.splitlines() if "pytest" in line and line.startswith("pip install")
    ]
    command = test_line.split("#")[0].strip()
    assert '".[all]"' in command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert command in ci.splitlines()
    assert "pip install -q torch==2.13.0" in ci


def test_cli_examples_in_the_readme_and_pages_parse():
    """Every `inventory-zoo` command in the ``bash`` blocks and inline code of README.md and the
    docs (but `train` and `play`, which forward their arguments) is accepted by the parser."""
    import shlex

    from inventory_zoo import cli

    parser = cli.build_parser()
    commands = []
    for page in [ROOT / "README.md", *DOCS.rglob("*.md")]:
        text = page.read_text(encoding="utf-8")
        for block in re.findall(r"^```bash\n(.*?)^```$", text, re.S | re.M):
            commands += [line.split("#")[0] for line in block.splitlines()]
        commands += re.findall(r"`(inventory-zoo [^`]*)`", text)
    seen = 0
    for command in commands:
        m = re.match(r"\s*inventory-zoo ((?:list|describe|evaluate|compare|plot)\b.*)", command, re.S)
        words = shlex.split(m.group(1).split("|")[0]) if m else []
        if len(words) > 1 and "--help" not in words:  # (a bare `inventory-zoo evaluate` names it)
            parser.parse_args(words)
            seen += 1
    assert seen >= 5
