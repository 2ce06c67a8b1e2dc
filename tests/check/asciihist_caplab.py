"""Tiny parser for histories drawn in ASCII (Porcupine's style), for known-answer tests.

Each line is ``<client>: <drawing>``; a column is one millisecond. An operation is drawn as
``|-- put(x,1) --|``: the opening ``|`` is the invocation, the closing mark its completion:
``|`` ok, ``!`` fail (did not happen), ``?`` info (timed out: unknown). Inside: ``put(k,v)``,
``append(k,v)``, ``get(k)->v`` (``nil`` is absent), ``cas(k,a,b)``. Values that look like
integers become ints. Ids are given in reading order (line by line, left to right).
"""

import re

_OP = re.compile(r"\|[-\s]*(\w+)\(([^)]*)\)(?:->(\w+))?[-\s]*([|!?])")


def _value(text):
    text = text.strip()
    if text == "nil":
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def parse_ascii(drawing: str) -> list[dict]:
    records = []
    for line in drawing.strip("\n").splitlines():
        if not line.strip():
            continue
        client, _, rest = line.partition(":")
        offset = len(client) + 1
        for m in _OP.finditer(rest):
            op, args, read, end = m.groups()
            parts = [a.strip() for a in args.split(",")]
            key = parts[0]
            if op == "get":
                value = _value(read) if read is not None else None
            elif op == "cas":
                value = (_value(parts[1]), _value(parts[2]))
            else:
                value = _value(parts[1])
            outcome = {"|": "ok", "!": "fail", "?": "info"}[end]
            records.append({"id": len(records), "client": client.strip(), "op": op,
                            "key": key, "value": value, "invoke_ms": offset + m.start(),
                            "complete_ms": offset + m.end() - 1, "outcome": outcome,
                            "node": None, "error": None})
    return records
