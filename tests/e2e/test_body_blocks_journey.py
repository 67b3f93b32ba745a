"""A reporter illustrates a story from inside the editor, loses the tab, and gets it back.

The photo picker (keyboard first: Tab stays inside, Esc closes), an upload
from inside it, the caption changed for this article in place, a "Read also"
found by typing, an autosave, a reload that offers the autosave back, and
the submit. Then the preview shows what the reporter set.
"""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.test_editor_journey import choose, log_in, make_photo

pytestmark = pytest.mark.e2e


def test_reporter_inserts_blocks_autosaves_recovers_and_submits(site, page, shot, tmp_path):
    token = uuid.uuid4().hex[:6]
    headline = f"Perahu Listrik Masuk Dermaga {token}"
    upload_caption = f"Perahu listrik di dermaga {token}"
    own_caption = f"Perahu listrik pertama di Pantura {token}"
    related = site.query(
        "from articles.models import Article\n"
        "print(Article.objects.published().order_by('-published_at')"
        ".values_list('headline', flat=True)[0])"
    )

    log_in(page, site, "reporter")
    page.goto(site.url + "/admin/articles/article/add/")
    page.fill("#id_headline", headline)
    page.fill("#id_dek", "Bengkel desa mengubah cara nelayan melaut.")
    choose(page, "id_section", "Ekon", "Ekonomi")
    choose(page, "id_authors", "Rina", "Rina Paramitha")
    page.locator("#id_lead_photo + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-results__option").first.click()
    editor = page.locator(".prose-editor [contenteditable=true]")
    editor.click()
    page.keyboard.type("Nelayan di pesisir utara mulai memakai perahu listrik.")
    page.keyboard.press("Enter")
    page.keyboard.type("Baterainya diisi dari panel surya di tempat pelelangan ikan.")
    page.locator("#article_form [name=_continue]").click()
    page.wait_for_url(re.compile(r"/admin/articles/article/\d+/change/"))
    pk = int(re.search(r"/article/(\d+)/change/", page.url).group(1))
    change_url = page.url

    # The photo picker, by keyboard: focus starts in the search box, Tab never
    # leaves the dialog, Esc closes it and gives the editor its focus back.
    editor = page.locator(".prose-editor [contenteditable=true]")
    editor.locator("p").first.click()
    page.keyboard.press("End")
    page.locator(".prose-menubar .nr-menu-photo").click()
    picker = page.get_by_role("dialog", name=re.compile("photo|foto", re.I))
    expect(picker).to_be_visible()
    expect(picker.locator("input[type=search]")).to_be_focused()
    expect(picker.locator(".nr-photo-choice").first).to_be_visible()  # the latest, with thumbnails
    expect(picker.locator(".nr-photo-choice img").first).to_have_attribute("src", re.compile("."))
    for _ in range(30):
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('dialog')"), "focus left the dialog"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("!!document.activeElement.closest('dialog')")
    shot(page, "picker-keyboard")
    page.keyboard.press("Escape")
    expect(picker).to_have_count(0)
    expect(editor).to_be_focused()

    # Upload in place: the new photo joins the library and lands in the body.
    page.locator(".prose-menubar .nr-menu-photo").click()
    upload = picker.locator(".nr-upload-box")
    upload.locator("input[name=image]").set_input_files(make_photo(tmp_path))
    upload.locator("input[name=caption]").fill(upload_caption)
    upload.locator("input[name=credit]").fill("Rina Paramitha")
    upload.locator("input[name=alt_text]").fill("Perahu bercat biru dengan panel surya")
    shot(page, "picker-upload")
    upload.locator("button.nr-upload").click()
    expect(picker).to_have_count(0)
    node = editor.locator(".nr-photo-node")
    expect(node).to_have_count(1)
    caption = node.locator("textarea")
    expect(caption).to_have_value(upload_caption)
    expect(node.locator("input")).to_have_value("Rina Paramitha")

    # The caption, changed for this article in place.
    caption.fill(own_caption)
    expect(page.locator("#id_body")).to_have_value(re.compile(f'data-caption="{own_caption}"'))

    # "Read also", found by typing its headline; picked with the keyboard.
    page.locator(".prose-menubar .nr-menu-read-also").click()
    finder = page.get_by_role("dialog", name=re.compile("read also|baca juga", re.I))
    expect(finder.locator("input[type=search]")).to_be_focused()
    page.keyboard.type(related[:18], delay=20)
    expect(finder.locator(".nr-article-choice").first).to_contain_text(related[:18])
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(finder).to_have_count(0)
    expect(editor.locator(".nr-read-also-node")).to_contain_text(related[:40])
    expect(node.locator("textarea")).to_have_value(own_caption)  # the photo is still there
    shot(page, "blocks-in-editor")

    # Autosave (forced now rather than waiting 30 s), then the tab is "lost".
    assert page.evaluate("window.newsroomAutosave.save()") is True
    expect(page.locator("[data-autosave-status]")).to_have_attribute("data-state", "saved")
    saved_body = site.query(
        f"from articles.models import Article\nprint(Article.objects.get(pk={pk}).body)"
    )
    assert own_caption not in saved_body  # the article itself is untouched
    page.goto(change_url)
    offer = page.locator("[data-autosave-offer]")
    expect(offer).to_be_visible()
    expect(page.locator(".nr-photo-node")).to_have_count(0)  # the saved version, until restored
    shot(page, "autosave-offer")
    offer.locator("[data-autosave-restore]").click()
    expect(page.locator("[data-autosave-restored]")).to_be_visible()
    editor = page.locator(".prose-editor [contenteditable=true]")
    expect(editor.locator(".nr-photo-node textarea")).to_have_value(own_caption)
    expect(editor.locator(".nr-read-also-node")).to_contain_text(related[:40])
    shot(page, "autosave-restored")

    page.locator("#article_form [name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator("[data-autosave-offer]")).to_have_count(0)
    body = site.query(
        f"from articles.models import Article\nprint(Article.objects.get(pk={pk}).body)"
    )
    assert f'data-caption="{own_caption}"' in body
    assert "<aside data-read-also=" in body

    # Submitted for review; the preview shows this article's caption and the link.
    page.locator(".workflow-tools form[action$='/workflow/submit/'] button").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    page.goto(site.url + f"/preview/{pk}/?as=premium")
    body_html = page.locator("[data-article-body]")
    expect(body_html.locator("figure figcaption")).to_contain_text(own_caption)
    expect(body_html.locator("aside.read-also a")).to_contain_text(related[:40])
    shot(page, "preview")
