"""Log records: a request id on every line, and no secret in any of them."""

import contextvars
import logging
import re

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# user:password@ in URLs (database, broker, cache), and key=value pairs whose
# key names a secret.
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]*):[^@\s]+@", re.I)
_SECRET_PAIR = re.compile(
    r"(?P<key>\b[\w-]*(?:password|passwd|secret|token|api[_-]?key|signature)[\w-]*\b"
    r"\s*[=:]\s*)(?P<value>['\"]?[^\s'\",;&]+)",
    re.I,
)


def redact(text: str) -> str:
    text = _URL_PASSWORD.sub(r"\g<scheme>:***@", text)
    return _SECRET_PAIR.sub(r"\g<key>***", text)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` and masks secrets in the rendered message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
