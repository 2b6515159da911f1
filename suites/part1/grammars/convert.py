#!/usr/bin/env python3
"""Converts the published Part 1 grammar configs into our compact grammar files.

Usage: python3 convert.py REFERENCE_DIR [OUT_DIR]
  REFERENCE_DIR holds the published cfg*.json (e.g. /work/shared/reference/cfg);
  OUT_DIR defaults to the folder of this script.

The published format stores each level as a list of nodes whose rules index into the next
level's `idx` list. We keep only what defines the grammar, with symbol ids resolved:

  root           the id of the start symbol
  num_terminals  terminals are the ids 1..=num_terminals
  rules          for every non-terminal id, its rules in the published order, each a list of ids

Rule order matters: samplers pick a rule by its index, so the order is part of the grammar.
Everything else in the published files (generator settings, token ids for EOS/MASK/SEP,
display names) is either derivable from the rules or not part of the grammar.
"""

import json
import sys
from pathlib import Path

NAMES = ["cfg3b", "cfg3e1", "cfg3e2", "cfg3f", "cfg3g", "cfg3h", "cfg3i", "cfg3j", "cfg3k"]

PROVENANCE = (
    "Converted by convert.py from facebookresearch/PhysicsLM4 snapshot 7580696, "
    "data-synthetic-pretrain/Lano-cfg/configs/{name}.json (Apache-2.0 license)."
)


def convert(config, name):
    levels = config["all"]
    depth = config["depth"]
    assert len(levels) == depth + 1, name
    terminals = levels[depth]
    num_terminals = len(terminals)
    assert [n["id"] for n in terminals] == list(range(1, num_terminals + 1)), name
    assert all(n["children"] is None for n in terminals), name
    (root,) = levels[0]
    rules = {}
    for level in range(depth):
        below = config["idx"][level + 1]
        for node, symbol in zip(levels[level], config["idx"][level], strict=True):
            assert node["id"] == symbol, name
            rules[symbol] = [[below[i] for i in rule] for rule in node["children"]]
    return {"root": root["id"], "num_terminals": num_terminals, "rules": rules}


def render(grammar, name):
    """One rule list per line, so diffs and reviews read like the grammar itself."""
    lines = [
        "{",
        f'  "provenance": {json.dumps(PROVENANCE.format(name=name))},',
        f'  "root": {grammar["root"]},',
        f'  "num_terminals": {grammar["num_terminals"]},',
        '  "rules": {',
    ]
    items = sorted(grammar["rules"].items(), reverse=True)
    for k, (symbol, rules) in enumerate(items):
        comma = "," if k + 1 < len(items) else ""
        lines.append(f'    "{symbol}": {json.dumps(rules)}{comma}')
    lines += ["  }", "}", ""]
    return "\n".join(lines)


def main():
    reference = Path(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).parent
    for name in NAMES:
        config = json.loads((reference / f"{name}.json").read_text())
        grammar = convert(config, name)
        text = render(grammar, name)
        assert json.loads(text)["rules"] == {str(k): v for k, v in grammar["rules"].items()}
        (out / f"{name}.json").write_text(text)


if __name__ == "__main__":
    main()
