"""The reader templates' ``_()``, ``gettext()`` and ``ngettext()`` (``website.jinja2env``):
the message in the reader's language, trusted, with the values filled in escaped."""

import pytest
from django.template import engines
from django.utils import translation


def render(source: str, **context) -> str:
    return engines["jinja2"].from_string(source).render(context)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("id", "Halaman 2 dari 7"), ("en", "Page 2 of 7")],
)
def test_a_message_is_in_the_active_language(language, expected):
    with translation.override(language):
        assert render("{{ _('Page %(n)s of %(total)s', n=2, total=7) }}") == expected
        assert render("{{ gettext('Page %(n)s of %(total)s', n=2, total=7) }}") == expected


def test_the_values_filled_in_are_escaped_and_the_message_is_not():
    with translation.override("en"):
        html = render("{{ _('Page %(n)s of %(total)s', n=page, total=3) }}", page="<b>2</b>")
    assert html == "Page &lt;b&gt;2&lt;/b&gt; of 3"


def test_a_plural_follows_the_number_in_each_language():
    source = (
        "{{ ngettext('%(left)s free article left this month.',"
        " '%(left)s free articles left this month.', left, left=left) }}"
    )
    with translation.override("en"):
        assert render(source, left=1) == "1 free article left this month."
        assert render(source, left=3) == "3 free articles left this month."
    with translation.override("id"):
        assert render(source, left=3) == "Sisa 3 artikel gratis bulan ini."


def test_the_number_is_num_unless_a_value_of_that_name_is_given():
    source = "{{ ngettext('%(num)s item', '%(num)s items', n) }}"
    with translation.override("en"):
        assert render(source, n=4) == "4 items"
        assert render("{{ ngettext('%(num)s item', '%(num)s items', 1, num='one') }}") == (
            "one item"
        )


def test_the_trans_tag_fills_in_its_values_too():
    """The i18n extension's block tag calls the same functions, new-style."""
    with translation.override("id"):
        html = render("{% trans n=2, total=t %}Page {{ n }} of {{ total }}{% endtrans %}", t="<7>")
    assert html == "Halaman 2 dari &lt;7&gt;"


def test_a_message_without_values_is_still_a_format_string():
    """``%%`` is a percent sign whether or not values are filled in (new-style)."""
    with translation.override("en"):
        assert render("{{ _('100%% read') }}") == "100% read"
        assert render("{{ _('Search') }}") == "Search"


def test_each_render_reads_the_language_it_runs_in_for_messages_and_addresses():
    """Messages and addresses come from what the render read once as it started
    (``render_reads``): a render after a switch of language is in the new one."""
    template = engines["jinja2"].from_string("{{ _('Home') }} {{ url('website:home') }}")
    with translation.override("en"):
        english = template.render({})
    with translation.override("id"):
        indonesian = template.render({})
    with translation.override("en"):
        again = template.render({})
    assert english == again == "Home /en/"
    assert indonesian == "Beranda /"


def test_a_macro_imported_without_the_context_still_follows_the_language():
    """Such a macro sees no render reads: it asks Django each time."""
    macro = "{% macro link() %}{{ _('Home') }} {{ url('website:home') }}{% endmacro %}"
    loaded = engines["jinja2"].env.from_string(macro).module.link
    with translation.override("en"):
        assert str(loaded()) == "Home /en/"
    with translation.override("id"):
        assert str(loaded()) == "Beranda /"


def test_with_every_translation_off_messages_are_as_written():
    with translation.override(None):  # deactivate_all: no catalog to read once
        assert render("{{ _('Home') }}") == "Home"
