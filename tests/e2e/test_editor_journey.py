"""A story from the photo desk to the home page, the way the newsroom makes it.

A reporter uploads a photo and writes a draft in the admin (rich-text
editor, autocomplete pickers), then submits it; an editor opens it,
previews it as an anonymous reader, and schedules it a few seconds ahead.
Nobody touches it again: the publication pipeline (worker and beat) puts it
on the home page.
"""

import re
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PASSWORD = "newsroom-demo"  # noqa: S105 - the documented demo credential
NEWSROOM_TZ = ZoneInfo("Asia/Jakarta")  # settings.TIME_ZONE: the admin reads times in it
PARAGRAPHS = [
    "Nelayan di pesisir utara mulai memakai perahu listrik buatan bengkel desa.",
    "Baterai perahu diisi dari panel surya di atap tempat pelelangan ikan.",
    "Biaya melaut turun hampir separuh karena solar tidak lagi dibeli setiap pagi.",
    "Koperasi nelayan kini menyiapkan pinjaman untuk dua puluh perahu berikutnya.",
]


def log_in(page, site, username: str) -> None:
    page.goto(site.url + "/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("#user-tools")).to_be_visible()


def choose(page, select_id: str, query: str, option: str) -> None:
    """Drive an admin autocomplete (select2): open it, type, click the matching result."""
    page.locator(f"#{select_id} + .select2 .select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field").last
    search.press_sequentially(query, delay=15)
    page.locator(
        ".select2-container--open .select2-results__option:not(.loading-results)",
        has_text=option,
    ).first.click()
    expect(page.locator(f"#{select_id} + .select2")).to_contain_text(option[:40])


def make_photo(folder) -> str:
    path = folder / "perahu-listrik.jpg"
    gradient = Image.radial_gradient("L").resize((1200, 800))
    Image.merge(
        "RGB", (gradient, gradient.rotate(90), Image.linear_gradient("L").resize((1200, 800)))
    ).save(path, "JPEG", quality=80)
    return str(path)


@pytest.mark.xfail(
    reason=(
        "Known breakage, to fix next: the journey reads the admin's English labels, the admin "
        "is Indonesian at /admin/ since the desks' translation, and under /en/admin/ the body "
        "editor does not appear (the body-blocks journey covers the reporter's editor part)"
    ),
    strict=False,
)
def test_reporter_writes_editor_schedules_and_the_story_goes_live(
    site, browser, page, shot, tmp_path
):
    token = uuid.uuid4().hex[:6]
    headline = f"Perahu Listrik Nelayan Pantura {token}"
    caption = f"Perahu listrik bersandar di dermaga {token}"
    related = site.query(
        "from articles.models import Article\n"
        "qs = Article.objects.published().filter(access_level='free').order_by('-published_at')\n"
        "print('\\n'.join(qs.values_list('headline', flat=True)[:2]))"
    ).splitlines()

    # The reporter uploads a photo to the library, with caption, credit and alt text.
    log_in(page, site, "reporter")
    page.goto(site.url + "/admin/articles/photo/add/")
    page.set_input_files("#id_image", make_photo(tmp_path))
    page.fill("#id_caption", caption)
    page.fill("#id_credit", "Rina Paramitha")
    page.fill("#id_alt_text", "Perahu kayu bercat biru dengan panel surya di atapnya")
    shot(page, "photo-upload")
    page.locator("#photo_form [name=_save]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator("#result_list")).to_contain_text(caption)
    shot(page, "photo-library")

    # ... and writes the draft: headline, section, body in the rich-text editor,
    # the lead photo and two related articles picked by typing.
    page.goto(site.url + "/admin/articles/article/add/")
    page.fill("#id_headline", headline)
    page.fill("#id_dek", "Bengkel desa mengubah cara nelayan melaut.")
    choose(page, "id_section", "Ekon", "Ekonomi")
    choose(page, "id_authors", "Rina", "Rina Paramitha")
    choose(page, "id_lead_photo", token, caption)
    page.select_option("#id_access_level", "premium")

    editor_box = page.locator(".prose-editor [contenteditable=true]")
    editor_box.click()
    for number, paragraph in enumerate(PARAGRAPHS):
        if number:
            page.keyboard.press("Enter")
        if number == 1:  # one phrase in bold, from the keyboard as a writer would
            page.keyboard.press("Control+b")
            page.keyboard.type("Hemat energi: ")
            page.keyboard.press("Control+b")
        page.keyboard.type(paragraph)
    expect(editor_box.locator("p")).to_have_count(len(PARAGRAPHS))
    expect(editor_box.locator("strong")).to_have_text("Hemat energi:")

    choose(page, "id_related_links-0-related", related[0][:24], related[0])
    page.locator("#related_links-group .add-row a").click()
    choose(page, "id_related_links-1-related", related[1][:24], related[1])
    page.fill("#id_related_links-1-position", "1")
    shot(page, "draft-form")
    page.locator("#article_form [name=_continue]").click()
    page.wait_for_url(re.compile(r"/admin/articles/article/\d+/change/"))
    expect(page.locator(".messagelist .success")).to_be_visible()
    pk = int(re.search(r"/article/(\d+)/change/", page.url).group(1))

    # What was typed is what was saved (the editor's HTML went through the sanitiser).
    saved_body = page.locator(".prose-editor [contenteditable=true]")
    expect(saved_body.locator("p")).to_have_count(len(PARAGRAPHS))
    expect(saved_body.locator("strong")).to_have_text("Hemat energi:")
    expect(page.locator("#select2-id_lead_photo-container")).to_contain_text(caption[:40])
    expect(page.locator("#related_links-group")).to_contain_text(related[0][:40])
    expect(page.locator("#related_links-group")).to_contain_text(related[1][:40])
    workflow = page.locator(".workflow-tools")
    expect(workflow.locator("h2")).to_contain_text("Draft")
    shot(page, "draft-saved")

    # "View on site" shows the draft as it will read (not the 404 of an unpublished page).
    change_url = page.url
    page.locator("a.viewsitelink").click()
    expect(page.locator("h1").first).to_have_text(headline)
    expect(page.locator("[data-article-body]")).to_contain_text(PARAGRAPHS[3])
    shot(page, "draft-on-site")
    page.goto(change_url)

    # The reporter submits it for review, and cannot publish it.
    expect(workflow.locator("form[action$='/workflow/publish/']")).to_have_count(0)
    workflow.locator("form[action$='/workflow/submit/'] button").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator("#content")).to_contain_text("In review")
    expect(page.locator("form[action$='/workflow/submit/']")).to_have_count(0)
    shot(page, "submitted")

    # The editor, in their own browser, finds it in the review queue and opens it.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    try:
        editor = desk.new_page()
        log_in(editor, site, "editor")
        editor.goto(site.url + "/admin/articles/article/?status__exact=in_review")
        editor.locator("#result_list a", has_text=headline).click()
        editor.wait_for_url(re.compile(rf"/admin/articles/article/{pk}/change/"))
        expect(
            editor.locator(".workflow-tools form[action$='/workflow/schedule/']")
        ).to_be_visible()
        shot(editor, "editor-opens")

        # Preview as an anonymous reader: the premium story stops at the gate.
        with desk.expect_page() as opened:
            editor.locator(f"a[href$='/preview/{pk}/?as=anonymous']").first.click()
        preview = opened.value
        preview.wait_for_load_state()
        expect(preview.locator("h1").first).to_have_text(headline)
        expect(preview.locator("[data-paywall]")).to_have_attribute("data-paywall", "premium_login")
        expect(preview.locator("[data-article-body]")).to_contain_text(PARAGRAPHS[0])
        assert PARAGRAPHS[3] not in preview.content()
        expect(preview.locator(".lead-photo img")).to_have_attribute("alt", re.compile("Perahu"))
        shot(preview, "preview-anonymous")
        preview.close()

        # Schedule it a few seconds ahead, in the newsroom's time zone.
        publish_at = (datetime.now(NEWSROOM_TZ) + timedelta(seconds=8)).replace(microsecond=0)
        schedule = editor.locator(".workflow-tools form[action$='/workflow/schedule/']")
        schedule.locator("input[name=publish_at]").fill(publish_at.strftime("%Y-%m-%dT%H:%M:%S"))
        schedule.locator("button").click()
        expect(editor.locator(".messagelist .success")).to_be_visible()
        expect(editor.locator(".workflow-tools h2")).to_contain_text("Scheduled")
        shot(editor, "scheduled")
    finally:
        desk.close()

    # Nobody presses anything else: the story reaches the home page on its own.
    reader = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    try:
        home = reader.new_page()
        story = home.locator("main a", has_text=headline)
        home.goto(site.url + "/")
        deadline = time.monotonic() + 60
        while True:
            # Reload as a reader would: the anonymous home page may be kept by
            # the browser for a minute (Cache-Control max-age), a reload asks again.
            home.reload()
            if story.count():
                break
            assert time.monotonic() < deadline, "not on the home page in 60 s:\n" + site.tail()
            time.sleep(1)
        assert datetime.now(NEWSROOM_TZ) >= publish_at  # on time, not early
        shot(home, "home-with-story")
        story.first.click()
        expect(home.locator("h1").first).to_have_text(headline)
        expect(home.locator("[data-paywall]")).to_have_attribute("data-paywall", "premium_login")
        assert PARAGRAPHS[3] not in home.content()
        shot(home, "story-live")
    finally:
        reader.close()
