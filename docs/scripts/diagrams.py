"""Write the docs' diagrams as static SVG files in docs/img/ (they render offline, without
JavaScript). Run from the repository root: ``python docs/scripts/diagrams.py``.

Each diagram is a handful of boxes at hand-chosen positions joined by labelled arrows; the
layout is plain arithmetic so that the files are reproducible byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "img"
FONT = 13
CHAR = 7.0  # mean glyph width at FONT px, sans-serif
LINE = 17
PAD = 10
INK, FILL, EDGE_FILL, GROUP = "#263238", "#e8eaf6", "#fff8e1", "#9e9e9e"


@dataclass
class Box:
    x: float  # centre
    y: float
    text: str
    rounded: bool = False  # a stadium: outside suppliers and customers
    width: float | None = None

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @property
    def w(self) -> float:
        return self.width or max(len(s) for s in self.lines) * CHAR + 2 * PAD

    @property
    def h(self) -> float:
        return len(self.lines) * LINE + 2 * PAD - 4

    def border(self, tx: float, ty: float) -> tuple[float, float]:
        """Where the segment from the centre towards (tx, ty) leaves the box."""
        dx, dy = tx - self.x, ty - self.y
        if dx == 0 and dy == 0:
            return self.x, self.y
        sx = (self.w / 2) / abs(dx) if dx else float("inf")
        sy = (self.h / 2) / abs(dy) if dy else float("inf")
        s = min(sx, sy)
        return self.x + dx * s, self.y + dy * s


@dataclass
class Diagram:
    width: int
    height: int
    boxes: dict[str, Box] = field(default_factory=dict)
    parts: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    def box(self, key: str, x: float, y: float, text: str, rounded: bool = False, width: float | None = None):
        self.boxes[key] = Box(x, y, text, rounded, width)

    def group(self, x0: float, y0: float, x1: float, y1: float, title: str) -> None:
        self.groups.append(
            f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" rx="6" '
            f'fill="none" stroke="{GROUP}" stroke-dasharray="4 3"/>'
            f'<text x="{x0 + 8:.1f}" y="{y0 + 16:.1f}" font-size="{FONT - 1}" fill="#616161">{escape(title)}</text>'
        )

    def arrow(
        self,
        a: str,
        b: str,
        label: str = "",
        dashed: bool = False,
        bend: float = 0.0,
        at: float = 0.5,
        head: bool = True,
    ) -> None:
        """An arrow from box ``a`` to box ``b``; ``bend`` curves it sideways (pixels), ``at``
        places the label along it."""
        A, B = self.boxes[a], self.boxes[b]
        mx, my = (A.x + B.x) / 2, (A.y + B.y) / 2
        dx, dy = B.x - A.x, B.y - A.y
        n = (dx * dx + dy * dy) ** 0.5 or 1.0
        cx, cy = mx - dy / n * bend, my + dx / n * bend  # control point
        x0, y0 = A.border(cx, cy) if bend else A.border(B.x, B.y)
        x1, y1 = B.border(cx, cy) if bend else B.border(A.x, A.y)
        style = ' stroke-dasharray="5 4"' if dashed else ""
        marker = ' marker-end="url(#head)"' if head else ""
        if bend:
            path = f"M{x0:.1f},{y0:.1f} Q{cx:.1f},{cy:.1f} {x1:.1f},{y1:.1f}"
            t = at
            lx = (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1
            ly = (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1
        else:
            path = f"M{x0:.1f},{y0:.1f} L{x1:.1f},{y1:.1f}"
            lx, ly = x0 + (x1 - x0) * at, y0 + (y1 - y0) * at
        self.parts.append(f'<path d="{path}" fill="none" stroke="{INK}" stroke-width="1.3"{style}{marker}/>')
        if label:
            w = len(label) * (CHAR - 0.6) + 8
            self.parts.append(
                f'<rect x="{lx - w / 2:.1f}" y="{ly - 9:.1f}" width="{w:.1f}" height="17" rx="3" '
                f'fill="{EDGE_FILL}" stroke="none"/>'
                f'<text x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="middle" font-size="{FONT - 1}">{escape(label)}</text>'
            )

    def route(self, points: list[tuple[float, float]]) -> None:
        """An arrow along straight segments through ``points`` (ends on the last point)."""
        path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))
        self.parts.append(
            f'<path d="{path}" fill="none" stroke="{INK}" stroke-width="1.3" marker-end="url(#head)"/>'
        )

    def note(self, x: float, y: float, text: str) -> None:
        self.parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{FONT - 1}" fill="#616161">{escape(text)}</text>'
        )

    def svg(self) -> str:
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
            f'viewBox="0 0 {self.width} {self.height}" font-family="Helvetica, Arial, sans-serif" '
            f'font-size="{FONT}" fill="{INK}">',
            '<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
            f'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker></defs>',
            f'<rect width="{self.width}" height="{self.height}" fill="white"/>',
            *self.groups,
        ]
        for b in self.boxes.values():
            r = b.h / 2 if b.rounded else 4
            out.append(
                f'<rect x="{b.x - b.w / 2:.1f}" y="{b.y - b.h / 2:.1f}" width="{b.w:.1f}" height="{b.h:.1f}" '
                f'rx="{r:.1f}" fill="{"white" if b.rounded else FILL}" stroke="{INK}" stroke-width="1.2"/>'
            )
            top = b.y - (len(b.lines) - 1) * LINE / 2 + 4.5
            for i, s in enumerate(b.lines):
                out.append(
                    f'<text x="{b.x:.1f}" y="{top + i * LINE:.1f}" text-anchor="middle">{escape(s)}</text>'
                )
        out += self.parts
        out.append("</svg>")
        return "\n".join(out) + "\n"


def serial_chain() -> Diagram:
    d = Diagram(1000, 90)
    y = 45
    for key, x, text, rounded in [
        ("C", 60, "customers", True),
        ("S0", 210, "stage_0 (retailer)", False),
        ("S1", 450, "stage_1", False),
        ("SN", 680, "stage_{N-1}", False),
        ("X", 920, "outside supplier", True),
    ]:
        d.box(key, x, y, text, rounded)
    d.arrow("X", "SN", "lead_times[N-1]")
    d.arrow("SN", "S1", "...")
    d.arrow("S1", "S0", "lead_times[0]")
    d.arrow("S0", "C")
    return d


def beer_game_board() -> Diagram:
    d = Diagram(1000, 170)
    y = 95
    for key, x, text, rounded in [
        ("C", 95, "customers:\n4 a week, 8 from week 5", True),
        ("R", 290, "retailer", False),
        ("W", 450, "wholesaler", False),
        ("D", 615, "distributor", False),
        ("F", 770, "factory", False),
        ("B", 925, "brewery\n(unlimited)", True),
    ]:
        d.box(key, x, y, text, rounded)
    d.arrow("B", "F", "2 weeks")
    d.arrow("F", "D", "2 weeks")
    d.arrow("D", "W", "2 weeks")
    d.arrow("W", "R", "2 weeks")
    d.arrow("R", "C")
    d.arrow("R", "W", "2 weeks", dashed=True, bend=-50)
    d.arrow("W", "D", "2 weeks", dashed=True, bend=-50)
    d.arrow("D", "F", "2 weeks", dashed=True, bend=-50)
    d.arrow("F", "B", "1 week", dashed=True, bend=-50)
    d.note(
        20,
        158,
        "solid: beer shipped (shipping delays; the brewery's production delay); "
        "dashed: order slips (order delays; the factory's production request)",
    )
    return d


def beer_game_timing() -> Diagram:
    d = Diagram(1080, 270)
    col = [95, 255, 455, 620, 780, 960]
    top, bottom = 70, 210
    d.box("A4", col[0], top, "4. advance slips")
    d.box("A5", col[1], top, "5. place orders")
    d.box("B1", col[2], top, "1. receive")
    d.box("B2", col[3], top, "2. fill orders")
    d.box("B3", col[4], top, "3. record")
    d.box("E1", (col[0] + col[1]) / 2, bottom, "1. orders: the actions")
    d.box("E2", col[2], bottom, "2. arrivals")
    d.box("E3", col[3], bottom, "3. shipping")
    d.box("E4", col[4], bottom, "4. costs")
    d.box("E5", col[5], bottom, "5. next demand\ndrawn (hidden)")
    d.group(20, 22, 335, 105, "board week t - 1")
    d.group(370, 22, 850, 105, "board week t")
    d.group(20, 160, 1060, 258, "env step t (engine period)")
    for a, b in [("A4", "A5"), ("A5", "B1"), ("B1", "B2"), ("B2", "B3")]:
        d.arrow(a, b)
    for a, b in [("E1", "E2"), ("E2", "E3"), ("E3", "E4"), ("E4", "E5")]:
        d.arrow(a, b)
    for a, b in [("A4", "E1"), ("A5", "E1"), ("B1", "E2"), ("B2", "E3"), ("B3", "E4")]:
        d.arrow(a, b, dashed=True, head=False)
    return d


def network_example() -> Diagram:
    d = Diagram(1080, 300)
    d.box("C0", 80, 60, "customers:\nPoisson(4)", True)
    d.box("C1", 80, 200, "customers:\nPoisson(3)", True)
    d.box("R0", 270, 60, "retailer_0")
    d.box("R1", 270, 200, "retailer_1\n(lost sales)")
    d.box("W", 530, 130, "warehouse_0")
    d.box("P", 760, 130, "plant_0")
    d.box("RM", 1000, 130, "raw_material\n(outside)", True)
    d.arrow("RM", "P", "L = 3, fixed cost 2")
    d.arrow("P", "W", "L = 2, 0.1 / unit")
    d.arrow("W", "R0", "L = 1, priority 0")
    d.arrow("W", "R1", "L = 1, priority 1")
    d.arrow("P", "R1", "L = 2 or 3 (random), 0.5 / unit, at most 5 / period", bend=-75, at=0.5)
    d.arrow("R0", "C0")
    d.arrow("R1", "C1")
    return d


def network_2x3() -> Diagram:
    d = Diagram(1120, 300)
    cols = {"C": 75, "R": 290, "D": 530, "M": 770, "O": 1010}
    rows = (70, 230)
    for i, y in enumerate(rows):
        d.box(f"C{i}", cols["C"], y, "customers:\nMerton, max 4", True)
        d.box(f"R{i}", cols["R"], y, f"retailer_{i}")
        d.box(f"D{i}", cols["D"], y, f"distributor_{i}")
        d.box(f"M{i}", cols["M"], y, f"manufacturer_{i}")
        d.box(f"O{i}", cols["O"], y, "outside", True)
    label = ("L = 4, 0.1", "L = 2, 0.2")
    for up, down in (("O", "M"), ("M", "D"), ("D", "R")):
        for i in range(2):
            for j in range(2):
                d.arrow(f"{up}{i}", f"{down}{j}", label[i], at=0.22 if i != j else 0.3)
    for i in range(2):
        d.arrow(f"R{i}", f"C{i}")
    return d


def period() -> Diagram:
    steps = [
        ("OBS", "Agents observe the state: stock, backlog, pipelines and the demand just revealed", True),
        (
            "O",
            "1. Orders: each agent's order is placed; after its order delay it reaches the supplier",
            False,
        ),
        (
            "A",
            "2. Arrivals: shipments due this period are received into on-hand stock, minus any shipping loss",
            False,
        ),
        (
            "S",
            "3. Shipping and allocation: every node ships what it can of what it owes; a short node splits\n"
            "its stock by the allocation rule; a shipment sent now arrives L periods later",
            False,
        ),
        ("C", "4. Costs: holding, in-transit holding, backlog or lost-sales penalty, ordering costs", False),
        ("D", "5. Demand revealed: the next period's customer demand becomes known", False),
    ]
    d = Diagram(1000, 470)
    y = 35
    for key, text, rounded in steps:
        d.box(key, 400, y, text, rounded, width=740)
        y += 80 if "\n" in text else 75
    keys = [k for k, _, _ in steps]
    for a, b in zip(keys, keys[1:], strict=False):
        d.arrow(a, b)
    obs, last = d.boxes["OBS"], d.boxes["D"]
    right = obs.x + obs.w / 2
    d.route([(right, last.y), (right + 60, last.y), (right + 60, obs.y), (right + 2, obs.y)])
    for i, line in enumerate(("step returns", "observations,", "rewards, infos")):
        d.note(right + 70, (obs.y + last.y) / 2 - 17 + i * 17, line)
    return d


DIAGRAMS = {
    "serial_chain.svg": serial_chain,
    "beer_game_board.svg": beer_game_board,
    "beer_game_timing.svg": beer_game_timing,
    "network_example.svg": network_example,
    "network_2x3.svg": network_2x3,
    "period.svg": period,
}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, build in DIAGRAMS.items():
        (OUT / name).write_text(build().svg(), encoding="utf-8")
        print(f"wrote docs/img/{name}")


if __name__ == "__main__":
    main()
