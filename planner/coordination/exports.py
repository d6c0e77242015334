"""Export co-action networks as an edges CSV (the toolkit's columns) or GraphML, for Gephi and cross-checking."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from planner import csvsafe
from planner.coordination.networks import CoordinationError

if TYPE_CHECKING:
    import networkx as nx

EDGE_COLUMNS = ["source", "target", "weight", "edge_type"]
FORMATS = (".csv", ".graphml")


def edges_csv(edges: pd.DataFrame, kind: str, *, raw: bool = False) -> str:
    """Return directed edges as CSV text with exactly the columns source, target, weight, edge_type; account labels
    a spreadsheet would run as formulas get a leading quote unless `raw` (planner.csvsafe)."""
    frame = edges[["source", "target", "weight"]].assign(edge_type=kind)
    return csvsafe.frame_csv(frame[EDGE_COLUMNS], raw=raw)


def to_graph(edges: pd.DataFrame, kind: str, nodes: pd.DataFrame | None = None) -> nx.DiGraph:
    """Return a directed graph of the edges; `nodes` (indexed by account label) adds node attributes."""
    import networkx as nx

    graph = nx.DiGraph()
    for source, target, weight in edges[["source", "target", "weight"]].itertuples(index=False, name=None):
        graph.add_edge(str(source), str(target), weight=int(weight), edge_type=kind)
    if nodes is not None:
        for label, attrs in nodes.iterrows():
            if str(label) in graph:
                graph.add_node(str(label), **{k: _graphml_value(v) for k, v in attrs.items()})
    return graph


def _graphml_value(value):
    if pd.isna(value):
        return ""
    if hasattr(value, "item"):
        return value.item()
    return value


def graphml(edges: pd.DataFrame, kind: str, nodes: pd.DataFrame | None = None) -> bytes:
    """Return the network as GraphML bytes."""
    import networkx as nx

    buffer = io.BytesIO()
    nx.write_graphml(to_graph(edges, kind, nodes), buffer)
    return buffer.getvalue()


def write(
    path: Path | str, edges: pd.DataFrame, kind: str, nodes: pd.DataFrame | None = None, *, raw: bool = False
) -> Path:
    """Write the network to `path` as CSV (neutralised unless `raw`) or GraphML, chosen by its suffix; raise
    CoordinationError for others."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise CoordinationError(f"out: {path.name!r} must end in .csv or .graphml")
    if suffix == ".csv":
        path.write_text(edges_csv(edges, kind, raw=raw), encoding="utf-8")
    else:
        path.write_bytes(graphml(edges, kind, nodes))
    return path
