"""Write the API reference pages (docs/api/*.md) and their nav entries in mkdocs.yml: one page
for the top-level modules and one per subpackage, each module rendered by mkdocstrings from its
docstrings. Run from anywhere after adding or removing a module:

    python docs/scripts/api_pages.py            # rewrite the pages and the nav
    python docs/scripts/api_pages.py --check    # exit 1 if they are out of date (tests)

Public modules are those without a ``_``-prefixed part. A package's page shows its own
docstring (``members: false``: its re-exports are documented where they are defined).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "inventory_zoo"
API = ROOT / "docs" / "api"
MKDOCS = ROOT / "mkdocs.yml"
#: Modules shown first, in this order (then the others alphabetically).
FIRST = [
    "inventory_zoo",
    "inventory_zoo.serial_v0",
    "inventory_zoo.network_v0",
    "inventory_zoo.beer_game_v0",
    "inventory_zoo.presets",
    "inventory_zoo.networks",
    "inventory_zoo.core",
    "inventory_zoo.core.spec",
    "inventory_zoo.core.engine",
    "inventory_zoo.envs",
    "inventory_zoo.envs.parallel",
    "inventory_zoo.envs.vector",
    "inventory_zoo.policies",
    "inventory_zoo.policies.base",
]
#: Page titles: subpackage (or "" for the top-level modules) -> nav title.
TITLES = {
    "": "Package and env modules",
    "core": "Engine (core)",
    "envs": "Env classes (envs)",
    "policies": "Policies",
    "agents": "Learners (agents)",
    "integrations": "Integrations",
}


def public_modules() -> list[tuple[str, bool]]:
    """``(dotted name, is a package)`` of every public module."""
    out = []
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        if not any(p.startswith("_") for p in parts):
            out.append((".".join(parts), is_pkg))
    return out


def _order(name: str) -> tuple[int, str]:
    return (FIRST.index(name), "") if name in FIRST else (len(FIRST), name)


def pages() -> dict[str, tuple[str, str]]:
    """``{file name: (nav title, markdown)}``."""
    groups: dict[str, list[tuple[str, bool]]] = {}
    for name, is_pkg in public_modules():
        parts = name.split(".")
        sub = parts[1] if len(parts) > 1 and (is_pkg or len(parts) > 2) else ""
        groups.setdefault(sub, []).append((name, is_pkg))
    out = {}
    for sub in sorted(groups, key=lambda s: (list(TITLES).index(s) if s in TITLES else len(TITLES), s)):
        title = TITLES.get(sub, sub)
        text = f"# {title}\n\nGenerated from the docstrings by `docs/scripts/api_pages.py`.\n"
        for name, is_pkg in sorted(groups[sub], key=lambda m: _order(m[0])):
            text += f"\n::: {name}\n"
            if is_pkg:
                text += "    options:\n      members: false\n"
        out[f"{sub or 'package'}.md"] = (title, text)
    return out


def nav(entries: dict[str, tuple[str, str]]) -> str:
    lines = ["  - API reference:"] + [f"      - {title}: api/{f}" for f, (title, _) in entries.items()]
    return "\n".join(lines) + "\n"


def with_nav(config: str, block: str) -> str:
    """mkdocs.yml with its ``API reference`` nav section replaced by ``block``."""
    pattern = re.compile(r"^  - API reference:\n(?:      - .*\n)*", re.M)
    if not pattern.search(config):
        raise SystemExit("mkdocs.yml has no '  - API reference:' nav section")
    return pattern.sub(block, config)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="only report what is out of date")
    args = p.parse_args(argv)
    entries = pages()
    want = {API / f: text for f, (_, text) in entries.items()}
    want[MKDOCS] = with_nav(MKDOCS.read_text(encoding="utf-8"), nav(entries))
    stale = [f for f, text in want.items() if not f.exists() or f.read_text(encoding="utf-8") != text]
    extra = [f for f in API.glob("*.md") if f not in want]
    for f in stale + extra:
        print(f"{'out of date' if args.check else 'updated'}: {f.relative_to(ROOT)}")
    if args.check:
        return 1 if stale or extra else 0
    API.mkdir(exist_ok=True)
    for f, text in want.items():
        f.write_text(text, encoding="utf-8")
    for f in extra:
        f.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
