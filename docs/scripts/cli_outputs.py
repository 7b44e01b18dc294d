"""Run every command shown in the docs' ``console`` blocks and write its real output under it,
so that the pages cannot drift from what the commands print.

    python docs/scripts/cli_outputs.py            # rewrite docs/cli.md (and the other pages given)
    python docs/scripts/cli_outputs.py --check    # exit 1 if a page is out of date (CI)

A block is a fenced ``console`` block whose lines starting with ``$ `` are commands (through a
shell, so ``printf ... | inventory-zoo ...`` works); the lines after a command, up to the next
command, are its output (stdout then stderr). ``inventory-zoo`` runs as
``python -m inventory_zoo.cli`` of this checkout, in a temporary directory (files the commands
write land there). A command's exit status is not shown; the errors section's commands exit 2.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "docs" / "cli.md"]
BLOCK = re.compile(r"^```console\n(.*?)^```$", re.S | re.M)


def commands(text: str) -> list[str]:
    """The commands of every console block of a page, in order."""
    return [
        line[2:] for m in BLOCK.finditer(text) for line in m.group(1).splitlines() if line.startswith("$ ")
    ]


def run(command: str, cwd: str) -> str:
    """What ``command`` prints (stdout, then stderr), with ``inventory-zoo`` this checkout's CLI."""
    exe = f"{shlex.quote(sys.executable)} -m inventory_zoo.cli"
    shell_cmd = re.sub(r"(^|\|\s*)inventory-zoo\b", lambda m: m.group(1) + exe, command)
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="100", NO_COLOR="1")
    out = subprocess.run(
        ["bash", "-c", shell_cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    return (out.stdout + out.stderr).rstrip("\n")


def render(text: str, cwd: str) -> str:
    """``text`` with every console block's outputs replaced by the commands' real outputs."""

    def block(m: re.Match) -> str:
        lines = [line for line in m.group(1).splitlines() if line.startswith("$ ")]
        body = []
        for line in lines:
            body.append(line)
            output = run(line[2:], cwd)
            if output:
                body.append(output)
        return "```console\n" + "\n".join(body) + "\n```"

    return BLOCK.sub(block, text)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("pages", nargs="*", type=Path, help="pages to update (default: docs/cli.md)")
    p.add_argument("--check", action="store_true", help="only report pages that are out of date")
    args = p.parse_args(argv)
    stale = []
    with tempfile.TemporaryDirectory() as cwd:
        for page in args.pages or PAGES:
            old = page.read_text(encoding="utf-8")
            new = render(old, cwd)
            if new != old:
                stale.append(page)
                if not args.check:
                    page.write_text(new, encoding="utf-8")
    for page in stale:
        print(f"{'out of date' if args.check else 'updated'}: {page.relative_to(ROOT)}")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
