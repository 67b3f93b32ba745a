"""What a served page must not contain, found by parsing it (``html.parser``).

Used by the CSP, XSS and crawl checks, and by the fault tests. Each finding is
a short human-readable string, so an assertion shows exactly what is wrong.
"""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# Types that make a <script> executable (classic or module); anything else
# (application/ld+json, ...) is a data block the browser never runs.
JAVASCRIPT_TYPES = {
    "",
    "module",
    "text/javascript",
    "application/javascript",
    "application/ecmascript",
    "text/ecmascript",
    "text/jscript",
    "text/livescript",
    "application/x-javascript",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcset"}


def _is_javascript_url(value: str) -> bool:
    # Browsers ignore ASCII whitespace and control characters inside the scheme.
    squeezed = "".join(ch for ch in value if ch > " ").lower()
    return squeezed.startswith(("javascript:", "vbscript:", "data:text/html"))


class PageInspector(HTMLParser):
    """Collect links, forms, inline scripts and script-capable attributes of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict] = []
        self.inline_scripts: list[str] = []
        self.external_scripts: list[str] = []
        self.stylesheets: list[str] = []
        self.event_handlers: list[str] = []
        self.javascript_urls: list[str] = []
        self.inline_styles: list[str] = []
        self.images: list[dict] = []
        self._in_script: dict | None = None
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name.lower(): (value or "") for name, value in attrs}
        for name, value in attributes.items():
            if name.startswith("on"):
                self.event_handlers.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and _is_javascript_url(value):
                self.javascript_urls.append(f"<{tag} {name}={value!r}>")
            if name == "style":
                self.inline_styles.append(f"<{tag} style={value!r}>")
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        elif tag == "img":
            self.images.append(attributes)
        elif tag == "link" and "stylesheet" in attributes.get("rel", "").lower():
            self.stylesheets.append(attributes.get("href", ""))
        elif tag == "style":
            self.inline_styles.append("<style> element")
        elif tag == "script":
            if attributes.get("src"):
                self.external_scripts.append(attributes["src"])
            elif attributes.get("type", "").strip().lower() in JAVASCRIPT_TYPES:
                self._in_script = {"text": ""}
        elif tag == "form":
            self._form = {
                "method": attributes.get("method", "get").lower(),
                "action": attributes.get("action", ""),
                "inputs": [],
            }
            self.forms.append(self._form)
        elif tag in {"input", "button", "select", "textarea"} and self._form is not None:
            self._form["inputs"].append(attributes.get("name", ""))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "script" and self._in_script is not None:
            self.inline_scripts.append(self._in_script["text"].strip()[:200] or "<empty>")
            self._in_script = None
        elif tag == "form":
            self._form = None

    def handle_data(self, data):
        if self._in_script is not None:
            self._in_script["text"] += data


def inspect(html: str) -> PageInspector:
    inspector = PageInspector()
    inspector.feed(html)
    inspector.close()
    return inspector


def script_violations(html: str) -> list[str]:
    """Everything a strict ``script-src 'self'`` CSP would block or that runs script inline."""
    page = inspect(html)
    found = [f"inline <script>: {text!r}" for text in page.inline_scripts]
    found += [f"event handler attribute {item}" for item in page.event_handlers]
    found += [f"javascript: URL {item}" for item in page.javascript_urls]
    foreign = [src for src in page.external_scripts if off_site(src)]
    found += [f"script from another origin: {src}" for src in foreign]
    return found


def style_violations(html: str) -> list[str]:
    """Inline styles and foreign stylesheets, which ``style-src 'self'`` blocks."""
    page = inspect(html)
    found = list(page.inline_styles)
    foreign = [href for href in page.stylesheets if off_site(href)]
    found += [f"stylesheet from another origin: {href}" for href in foreign]
    return found


def off_site(url: str, *, host: str = "testserver") -> bool:
    """True when a browser following ``url`` from our page would leave the site."""
    cleaned = "".join(ch for ch in url if ch > " ").replace("\\", "/")
    if cleaned.startswith("//"):
        return urlsplit("http:" + cleaned).hostname != host
    parts = urlsplit(cleaned)
    if parts.scheme and parts.scheme not in {"http", "https"}:
        return True
    return bool(parts.netloc) and parts.hostname != host


def same_site_paths(base_path: str, hrefs: list[str]) -> list[str]:
    """The site-internal paths among ``hrefs`` (resolved against the page, fragments dropped)."""
    paths = []
    for href in hrefs:
        if off_site(href) or href.startswith(("mailto:", "tel:", "#")):
            continue
        parts = urlsplit(urljoin("http://testserver" + base_path, href))
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        paths.append(path)
    return paths
