"""Parses an SVG report (training_curves.svg, sweep.svg) with Python's XML parser, for the tests:
a file that is not well-formed XML fails here.

argv: the file. stdout (last line, JSON): {"width", "height", "panels": [{"id", "x_domain", "y_domain",
"plot": [left, top, width, height], "polylines": [{"name", "points": [[x, y], ...]}],
"dots": [{"name", "x", "y"}], "best": [{"step", "x", "y"}], "marks": [{"class", "step", "x"}], "texts": [str]}]}"""
import json
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == NS + "svg", root.tag
panels = []
for g in root.iter(NS + "g"):
    if g.get("class") != "panel":
        continue
    panel = {"id": g.get("id"), "x_domain": [float(v) for v in g.get("data-x-domain").split()],
             "y_domain": [float(v) for v in g.get("data-y-domain").split()],
             "plot": [float(v) for v in g.get("data-plot").split()], "polylines": [], "dots": [], "best": [], "marks": [],
             "texts": ["".join(t.itertext()) for t in g.iter(NS + "text")]}
    for line in g.iter(NS + "polyline"):
        points = [[float(v) for v in p.split(",")] for p in line.get("points").split()]
        panel["polylines"].append({"name": line.get("data-name"), "points": points})
    for circle in g.iter(NS + "circle"):
        if circle.get("class") == "dot":
            panel["dots"].append({"name": circle.get("data-name"), "x": float(circle.get("cx")), "y": float(circle.get("cy"))})
        elif circle.get("class") == "best":
            panel["best"].append({"step": float(circle.get("data-step")), "x": float(circle.get("cx")), "y": float(circle.get("cy"))})
    for line in g.iter(NS + "line"):
        if line.get("data-step") is not None:
            panel["marks"].append({"class": line.get("class"), "step": float(line.get("data-step")), "x": float(line.get("x1"))})
    panels.append(panel)
print(json.dumps({"width": float(root.get("width")), "height": float(root.get("height")), "panels": panels}))
