"""The write/read form of :class:`~caplab.widgets.ClusterPanel`, built from what the system
describes about itself (:class:`caplab.world.describe.Description`): one field per per-call
option, its choices, what is allowed; and the HTML of a result or of a refused call.

Nothing here knows which system it serves: a new mode gets its form from its ``describe()``.

Example:
    >>> from caplab.world.describe import Description, Option
    >>> d = Description(system="kv", mode="x", title="x",
    ...                 options=(Option("level", "one", "get", choices=("one", "all")),))
    >>> sorted(option_widgets(d))
    ['level']
"""

from __future__ import annotations

import html

import ipywidgets as w

__all__ = ["DEFAULT_ENTRY", "NO_VALUE", "parse_option", "option_widgets", "option_groups",
           "form_options", "result_html", "result_error_html", "role_html"]

#: The form's entry for "the cluster's default" (the option is then not sent).
DEFAULT_ENTRY = "default"
#: How a missing value is written (the cluster graph's labels should use the same sign).
NO_VALUE = "∅ (no value)"
#: A role's symbol as a character beside its label (shape as well as colour).
_GLYPHS = {"star": "★", "diamond": "◆", "x": "✕", "circle": "●", "square": "■"}


def parse_option(text, choices=None):
    """A form field: '' or 'default' -> None (the cluster's default), one of ``choices`` ->
    that choice itself (so ``"False"`` is ``False`` and ``"2"`` is ``2``), digits -> int, else
    the text itself (the library then names what is allowed).

    Example:
        >>> parse_option("3"), parse_option("default"), parse_option("False", (True, False))
        (3, None, False)
    """
    if text is None:
        return None
    text = str(text).strip()
    if text in ("", DEFAULT_ENTRY):
        return None
    for choice in choices or ():
        if str(choice) == text:
            return choice
    if text.lstrip("-").isdigit():
        return int(text)
    return text


def _field(option) -> w.Widget:
    """A form field for one :class:`~caplab.world.describe.Option`: a dropdown of its choices
    (a combobox when ``allowed`` says more values are accepted, e.g. any number of nodes), or
    free text. Each starts at "default", which sends nothing."""
    lay = w.Layout(width="340px")
    style = {"description_width": "150px"}
    common = dict(description=option.name, tooltip=option.doc or option.name, layout=lay,
                  style=style)
    if option.choices:
        entries = [DEFAULT_ENTRY, *(str(c) for c in option.choices)]
        if option.allowed:
            return w.Combobox(value=DEFAULT_ENTRY, options=entries, ensure_option=False,
                              placeholder=option.allowed, **common)
        return w.Dropdown(options=entries, value=DEFAULT_ENTRY, **common)
    return w.Text(value="", placeholder=option.allowed or DEFAULT_ENTRY, **common)


def _names(desc, op: str) -> tuple:
    return tuple(dict.fromkeys(o.name for o in desc.options_for(op)))


def option_widgets(desc) -> dict:
    """name -> form field, for every put and get option of ``desc`` (an option that applies to
    both shares one field)."""
    boxes = {}
    for op in ("put", "get"):
        for option in desc.options_for(op):
            if option.name not in boxes:
                boxes[option.name] = _field(option)
    return boxes


def option_groups(boxes: dict, desc) -> tuple:
    """The option fields under headings saying which operation they apply to (a heading with
    no field, e.g. a system whose writes take no option, is left out)."""
    put, get = _names(desc, "put"), _names(desc, "get")
    heading = "<span style='font-weight:600;color:#444'>{}</span>".format
    if put == get:
        groups = (("put and get options", put),)
    else:
        groups = (("put options", put), ("get options", get))
    return tuple(widget for title, names in groups if names
                 for widget in (w.HTML(heading(title)), *(boxes[n] for n in names)))


def form_options(boxes: dict, desc, op: str) -> dict:
    """The options to send with ``op``: each field that is not left at "default"."""
    opts = {}
    for option in desc.options_for(op):
        value = parse_option(boxes[option.name].value, option.choices)
        if value is not None:
            opts[option.name] = value
    return opts


def result_html(result, note: str = "") -> str:
    """A put/get :class:`~caplab.kv.Result` for the result box (outcome coloured and named)."""
    ok = result.ok
    colour = "#007a4d" if ok else ("#b36b00" if result.outcome == "info" else "#c0392b")
    if result.op == "get" and ok:
        held = NO_VALUE if result.value is None else repr(result.value)
        shown = f"value={held} "
    else:
        shown = ""
    err = "" if ok else f" — {html.escape(str(result.error))}"
    noted = f"<br><span style='color:#1f4e79'>{html.escape(note)}</span>" if note else ""
    return (f"<span style='color:{colour}' data-outcome='{result.outcome}'>"
            f"<b>{result.outcome}</b>: {result.op} "
            f"{html.escape(repr(result.key))} {html.escape(shown)}by "
            f"{html.escape(str(result.client))} at node {result.node} in "
            f"{result.latency_ms} ms{err}</span>{noted}")


def result_error_html(op: str, key, exc: BaseException) -> str:
    """A refused put/get for the result box, with the library's message."""
    return (f"<span style='color:#c0392b' data-outcome='error'>"
            f"<b>{html.escape(type(exc).__name__)}</b>: {op} "
            f"{html.escape(repr(key))} not sent — {html.escape(str(exc))}</span>")


def role_html(node: str, role) -> str:
    """A node's name and its :class:`~caplab.world.describe.Role`: the role's symbol in its
    colour, then its label (bold for the leader), so no role is told by colour alone."""
    glyph = _GLYPHS.get(role.symbol, "●")
    weight = "700" if role.leader else "400"
    return (f"<span style='font-weight:600'>{html.escape(node)}</span> "
            f"<span style='color:{role.colour}' data-role='{html.escape(role.name)}'>{glyph}"
            f"</span> <span style='color:#333;font-weight:{weight}'>"
            f"{html.escape(role.text)}</span>")
