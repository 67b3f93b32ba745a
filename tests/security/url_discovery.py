"""Every URL pattern of the project, turned into a concrete path that resolves to it.

The security checks walk the URL resolver at run time rather than a hand-kept
list, so views added by other parts (the reader site, the API, the editorial
admin) are checked as soon as they exist.
"""

import re
import uuid
from dataclasses import dataclass

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_NAMED_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>")


@dataclass(frozen=True)
class Endpoint:
    path: str  # a concrete path that resolves to the view
    name: str  # "namespace:url_name", or "" for unnamed patterns
    callback: object
    params: tuple[str, ...]

    @property
    def csrf_exempt(self) -> bool:
        return bool(getattr(self.callback, "csrf_exempt", False))

    @property
    def is_admin(self) -> bool:
        return self.path.startswith("/admin/")

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")


def _candidates(extra: dict[str, str]) -> list[str]:
    labels = [config.label for config in apps.get_app_configs()]
    return [*extra.values(), "1", "x", "2024", "01", uuid.UUID(int=1).hex, *labels]


def _sample_for_route(converter: str, name: str, values: dict[str, str]) -> str:
    if name in values:
        return values[name]
    return {
        "int": "1",
        "slug": "x",
        "str": "x",
        "path": "x",
        "uuid": str(uuid.UUID(int=1)),
        "yyyy": "2024",
        "nn": "01",
    }.get(converter or "str", "1")


def _group_body(regex: str, start: int) -> tuple[str, int]:
    depth, index = 0, start
    while index < len(regex):
        char = regex[index]
        if char == "\\":
            index += 2
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return regex[start : index + 1], index + 1
        index += 1
    raise ValueError(f"unbalanced group in {regex!r}")


def _concrete_regex(regex: str, values: dict[str, str]) -> str:
    """Replace each named group with a value it accepts; drop anchors."""
    out, index = "", 0
    while index < len(regex):
        match = _NAMED_GROUP.match(regex, index)
        if match:
            group, index = _group_body(regex, index)
            body = group[match.end() - match.start() : -1]
            name = match.group("name")
            choices = [values[name]] if name in values else _candidates(values)
            out += next((c for c in choices if re.fullmatch(body, c)), "1")
            continue
        char = regex[index]
        if char in "^$":
            index += 1
            continue
        if char == "\\" and index + 1 < len(regex):
            out += regex[index + 1]
            index += 2
            continue
        out += char
        index += 1
    return out


def _piece(pattern, values: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    if hasattr(pattern, "_route"):
        route = str(pattern._route)
        names = tuple(m.group("name") for m in _ROUTE_PARAM.finditer(route))
        text = _ROUTE_PARAM.sub(
            lambda m: _sample_for_route(m.group("converter"), m.group("name"), values), route
        )
        return text, names
    regex = pattern.regex.pattern
    names = tuple(_NAMED_GROUP.findall(regex))
    return _concrete_regex(regex, values), names


def endpoints(values: dict[str, str] | None = None) -> list[Endpoint]:
    """One concrete path per URL pattern; ``values`` fills parameters by name (pk=...)."""
    values = {} if values is None else values
    found: list[Endpoint] = []

    def walk(patterns, prefix: str, namespace: str, params: tuple[str, ...]):
        for pattern in patterns:
            text, names = _piece(pattern.pattern, values)
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace
                walk(
                    pattern.url_patterns,
                    prefix + text,
                    f"{namespace}{ns}:" if ns else namespace,
                    params + names,
                )
            elif isinstance(pattern, URLPattern):
                path = "/" + (prefix + text).lstrip("/")
                try:
                    match = resolve(path)
                except Resolver404:
                    continue
                name = f"{namespace}{pattern.name}" if pattern.name else ""
                found.append(Endpoint(path, name, match.func, params + names))

    walk(get_resolver().url_patterns, "", "", ())
    return found
