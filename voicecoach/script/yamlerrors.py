"""YAML syntax errors in plain words, with the line they are on and a hint, all of them.

PyYAML stops at the first syntax error and words it for parser writers ("expected
<block end>, but found '<block mapping start>'"). Here each error is explained the way
a person editing the file by hand would understand it; the line at fault (and the
lines nested under it) is then blanked and the text parsed again, so the next error is
found too, up to MAX_YAML_ERRORS.
"""

from __future__ import annotations

import re

import yaml

from voicecoach.errors import ScriptError, SourceLocation

MAX_YAML_ERRORS = 10
"""Most syntax errors reported for one file."""
_REPARSE_BUDGET = 1_000_000
"""Characters parsed again while looking for further errors (keeps big files fast)."""
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def split_lines(text: str) -> list[str]:
    """TEXT's lines as YAML counts them (CR, LF, CRLF, NEL and the Unicode separators)."""
    return _LINE_BREAK.split(text)


_KEY_SEPARATOR = re.compile(r":(\s|$)")
_QUOTE_HINT = "put the text in quotes"


def syntax_errors(text: str, name: str, first: yaml.MarkedYAMLError) -> list[ScriptError]:
    """Every syntax error in TEXT (FIRST is the one PyYAML found), in line order."""
    lines = split_lines(text)
    found: dict[int, ScriptError] = {}
    err: yaml.MarkedYAMLError | None = first
    attempts = max(1, min(MAX_YAML_ERRORS, _REPARSE_BUDGET // max(1, len(text))))
    while err is not None and len(found) < attempts:
        message, line, column = explain(err, lines)
        line = min(line, len(lines) - 1)
        if line in found:
            break  # no progress: stop rather than report echoes of the same mistake
        found[line] = ScriptError(message, SourceLocation(name, line + 1, column + 1))
        if lines[line].lstrip(" ").startswith("\t"):
            lines[line] = ""  # its indent is unknown: keep the lines after it
        else:
            _blank_block(lines, line)
        err = _next_error("\n".join(lines))
    return [found[line] for line in sorted(found)]


def _next_error(text: str) -> yaml.MarkedYAMLError | None:
    try:
        for _ in yaml.compose_all(text, Loader=yaml.SafeLoader):
            pass
    except yaml.MarkedYAMLError as err:
        return err if (err.problem_mark or err.context_mark) is not None else None
    except (yaml.YAMLError, RecursionError):
        return None
    return None


def _blank_block(lines: list[str], line: int) -> None:
    """Blank LINE and the lines nested under it (more indented), keeping line numbers."""
    indent = _indent(lines[line])
    lines[line] = ""
    for i in range(line + 1, len(lines)):
        if not lines[i].strip():
            continue
        if _indent(lines[i]) <= indent:
            return
        lines[i] = ""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _content_column(line: str) -> int:
    """Where a line's key or value starts (after its indent and any '- ' markers)."""
    column = _indent(line)
    while line.startswith("- ", column) or line.startswith("-\t", column):
        column += 2
        while column < len(line) and line[column] == " ":
            column += 1
    return column


def _previous_content_line(lines: list[str], line: int) -> int | None:
    for i in range(line - 1, -1, -1):
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("#"):
            return i
    return None


def explain(err: yaml.MarkedYAMLError, lines: list[str]) -> tuple[str, int, int]:
    """ERR in plain words, and the 0-based line and column of the mistake."""
    problem = err.problem or ""
    context = err.context or ""
    mark = err.problem_mark or err.context_mark
    assert mark is not None
    line, column = mark.line, mark.column
    at_context = (
        (err.context_mark.line, err.context_mark.column) if err.context_mark else (line, column)
    )
    if "'\\t'" in problem:
        before = lines[line][:column] if line < len(lines) else ""
        if before.strip():
            return "a tab: YAML separates with spaces, not tabs", line, column
        return "a tab: indent with spaces, not tabs", line, column
    if "that cannot start any token" in problem:
        char = problem.split("'")[1] if problem.count("'") >= 2 else "this character"
        return f"a value cannot start with {char!r}; {_QUOTE_HINT}", line, column
    if problem == "mapping values are not allowed here":
        return _mapping_value_error(lines, line, column)
    if "could not find expected ':'" in problem:
        return _missing_colon(lines, at_context[0], at_context[1]), *at_context
    if "found '<scalar>'" in problem and _after_quote(lines, line, column):
        return (
            "text goes on after its closing quote: inside '...' write '' for an "
            "apostrophe, or put the text in double quotes",
            line,
            column,
        )
    if problem.startswith("expected <block end>") or "expected '-' indicator" in problem:
        return (
            "this line is indented differently from the one above it (keys of one "
            "item line up, and every list item starts with '- ' at the same indent)",
            line,
            column,
        )
    if "did not find expected key" in problem:
        return (
            "this line is indented differently from the one above it (keys of one "
            "item line up under each other)",
            line,
            column,
        )
    if "quoted scalar" in context and "end of stream" in problem:
        return "this quote is never closed", *at_context
    if "expected ',' or ']'" in problem:
        return f"this '[' list is not closed with ']' (or {_QUOTE_HINT})", *at_context
    if "expected ',' or '}'" in problem:
        return f"this '{{' mapping is not closed with '}}' (or {_QUOTE_HINT})", *at_context
    if "found undefined alias" in problem:
        return (
            f"'*' starts a YAML alias, and there is no anchor "
            f"'&{problem.rsplit(' ', 1)[-1].strip(chr(39))}'; {_QUOTE_HINT}",
            line,
            column,
        )
    if "unknown escape character" in problem:
        char = problem.rsplit(" ", 1)[-1].strip("'")
        return (
            f"'\\{char}' is not an escape in double quotes: use single quotes, "
            "or write '\\\\' for a backslash",
            line,
            column,
        )
    if "while scanning an alias" in context or "while scanning an anchor" in context:
        return (
            "'*' and '&' at the start of a value are YAML syntax; "
            f"{_QUOTE_HINT} (list items start with '- ')",
            *at_context,
        )
    if "while scanning a directive" in context:
        return f"'%' at the start of a line is YAML syntax; {_QUOTE_HINT}", *at_context
    if "found duplicate anchor" in f"{context} {problem}":
        return "this '&' anchor name is used twice; give each anchor its own name", line, column
    if "expected the node content" in problem or "expected node content" in problem:
        message = f"a value is missing here, or starts with a reserved character; {_QUOTE_HINT}"
        return message, line, column
    detail = problem or context or "not valid YAML"
    return f"invalid YAML: {detail}", line, column


def _after_quote(lines: list[str], line: int, column: int) -> bool:
    """True if LINE has a quoted text that ends just before COLUMN."""
    before = lines[line][:column].rstrip() if line < len(lines) else ""
    return before.endswith(("'", '"')) and before.count(before[-1]) >= 2


def _mapping_value_error(lines: list[str], line: int, column: int) -> tuple[str, int, int]:
    """'mapping values are not allowed here': a ': ' in text, a missing ':' or an indent."""
    text = lines[min(line, len(lines) - 1)]
    start = _content_column(text)
    if _KEY_SEPARATOR.search(text, start, column):
        return f"a second ': ' on this line; {_QUOTE_HINT} when it contains ': '", line, column
    previous = _previous_content_line(lines, line)
    if previous is not None:
        above = lines[previous]
        above_start = _content_column(above)
        if start > above_start and _KEY_SEPARATOR.search(above, above_start):
            return (
                f"this line is indented more than the one above it (line {previous + 1}); "
                "line its key up with the keys above",
                line,
                start,
            )
        if not _KEY_SEPARATOR.search(above, above_start) and not above.rstrip().endswith(":"):
            return _missing_colon(lines, previous, above_start), previous, above_start
    return (
        "a ':' where YAML expects none: this line is indented differently from the one "
        f"above it, or holds text with ': ' ({_QUOTE_HINT})",
        line,
        column,
    )


def _missing_colon(lines: list[str], line: int, column: int) -> str:
    """A key without ':', with the line as it was probably meant."""
    written = lines[line][column:].split(" #", 1)[0].strip() if line < len(lines) else ""
    key, _, rest = written.partition(" ")
    if key.isidentifier() and rest:
        return f"a key without ':' (write '{key}: {rest.strip()}')"
    return "a key without ':' (write 'key: value'; put a line of text in quotes)"
