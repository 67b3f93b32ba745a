"""Django's Jinja2 backend, with the view's context winning over context processors.

Django's own Jinja2 backend applies the context processors after the view's
context, so a view cannot set a key a processor also sets (the staff preview's
``show_ads`` for a hypothetical reader was overwritten by the staff member's).
Django templates do the opposite; this backend does what they do.

Each render also reads once what every ``url()`` and ``_()`` of the page
depends on (``website.jinja2env.render_reads``: the language, URLconf,
script prefix and the language's catalog, context-local reads a page's 20-30
addresses and 30-40 messages each repeated).
"""

from django.template.backends import jinja2 as django_jinja2

from .jinja2env import render_reads


class Template(django_jinja2.Template):
    def render(self, context=None, request=None):
        if request is None:
            return super().render({**render_reads(), **(context or {})})
        merged = render_reads()
        for context_processor in self.backend.template_context_processors:
            merged.update(context_processor(request))
        merged.update(context or {})
        merged["request"] = request
        merged["csrf_input"] = django_jinja2.csrf_input_lazy(request)
        merged["csrf_token"] = django_jinja2.csrf_token_lazy(request)
        return super().render(merged)  # no request: the processors ran above


class Jinja2(django_jinja2.Jinja2):
    def from_string(self, template_code):
        return Template(super().from_string(template_code).template, self)

    def get_template(self, template_name):
        return Template(super().get_template(template_name).template, self)
