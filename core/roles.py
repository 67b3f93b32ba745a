"""Staff roles as Django groups, and the permissions each one holds.

The groups are created by a data migration (``articles/migrations/
0003_staff_roles.py``) and ``sync_roles`` runs again after every ``migrate``
(see ``NewsroomConfig.ready``), so permissions of models added later join
their roles without a hand-written migration. Row-level rules (a reporter
edits only their own drafts) live in ``articles.services``, not here.
"""

from django.apps import apps as global_apps

REPORTER = "Reporter"
EDITOR = "Editor"
CHIEF_EDITOR = "Chief editor"
SUBSCRIPTION_STAFF = "Subscription staff"

STAFF_ROLES = (REPORTER, EDITOR, CHIEF_EDITOR, SUBSCRIPTION_STAFF)

# (app_label, codename) pairs; "*" stands for every permission of the app.
ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    REPORTER: [
        ("articles", "view_article"),
        ("articles", "add_article"),
        ("articles", "change_article"),
        ("articles", "submit_article"),
        ("articles", "preview_article"),
        # The curated related list is an inline of the article form.
        ("articles", "view_relatedarticle"),
        ("articles", "add_relatedarticle"),
        ("articles", "change_relatedarticle"),
        ("articles", "delete_relatedarticle"),
        ("articles", "view_revision"),
        ("articles", "view_articletransition"),
        ("articles", "view_photo"),
        ("articles", "add_photo"),
        ("articles", "change_photo"),
        ("articles", "view_section"),
        ("articles", "view_topic"),
        ("articles", "view_author"),
        ("articles", "view_agency"),
        ("articles", "view_gallery"),
        ("articles", "view_galleryphoto"),
    ],
    EDITOR: [
        ("articles", "*"),
    ],
    CHIEF_EDITOR: [
        ("articles", "*"),
        ("subscriptions", "view_plan"),
        ("subscriptions", "add_plan"),
        ("subscriptions", "change_plan"),
        ("newsroom", "*"),
    ],
    SUBSCRIPTION_STAFF: [
        ("subscriptions", "*"),
        ("auth", "view_user"),
    ],
}

# Editors do everything with content except the structure of the paper; a
# revision or a transition log entry is never edited by hand, by anyone.
EDITOR_EXCLUDED = {"delete_section", "add_section", "change_section"}
NEVER_GRANTED = {
    "add_revision",
    "change_revision",
    "delete_revision",
    "add_articletransition",
    "change_articletransition",
    "delete_articletransition",
}


def sync_roles(apps=global_apps) -> None:
    """Create the staff groups and give each exactly the permissions listed above."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, rules in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = set()
        for app_label, codename in rules:
            perms = Permission.objects.filter(content_type__app_label=app_label)
            if codename != "*":
                perms = perms.filter(codename=codename)
            elif role == EDITOR:
                perms = perms.exclude(codename__in=EDITOR_EXCLUDED)
            perms = perms.exclude(codename__in=NEVER_GRANTED)
            wanted.update(perms.values_list("pk", flat=True))
        group.permissions.set(wanted)


def sync_roles_in_migration(apps, schema_editor) -> None:
    """The data migration's step: permissions first (post_migrate has not run yet)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        app_config.models_module = None
    sync_roles(apps)


def sync_roles_after_migrate(sender, **kwargs) -> None:
    from django.contrib.auth.management import create_permissions

    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=kwargs.get("using", "default"))
    sync_roles()


# The publication pipeline's operator views (pipeline app): editors see failed
# tasks and side effects and may resolve or re-run them; reporters see the log.
_PIPELINE_OPERATOR = [
    ("pipeline", "view_publicationlogentry"),
    ("pipeline", "view_taskfailure"),
    ("pipeline", "change_taskfailure"),
    ("pipeline", "view_sideeffectrun"),
    ("pipeline", "change_sideeffectrun"),
]
ROLE_PERMISSIONS[REPORTER].append(("pipeline", "view_publicationlogentry"))

# The paywall rules (``paywall.admin``) are the business's: subscription staff
# and the chief editor see their history, add a version and roll back.
# Versions are never changed or deleted, so those permissions do not exist.
_PAYWALL_RULES = [
    ("paywall", "view_ruleset"),
    ("paywall", "add_ruleset"),
    ("paywall", "view_ruleoverride"),
    # Experiments (``paywall.experiments``): create, start, stop, promote.
    ("paywall", "view_experiment"),
    ("paywall", "add_experiment"),
    ("paywall", "change_experiment"),
    ("paywall", "view_experimentarm"),
    ("paywall", "view_exposure"),
    ("paywall", "view_experimentlog"),
]
ROLE_PERMISSIONS[CHIEF_EDITOR].extend(_PAYWALL_RULES)
ROLE_PERMISSIONS[SUBSCRIPTION_STAFF].extend(_PAYWALL_RULES)
ROLE_PERMISSIONS[EDITOR].extend(_PIPELINE_OPERATOR)
ROLE_PERMISSIONS[CHIEF_EDITOR].extend(_PIPELINE_OPERATOR)

# The revenue desk (``revenue``, /admin/revenue/): the business's figures, for
# the same two roles as the rules.
ROLE_PERMISSIONS[CHIEF_EDITOR].append(("revenue", "view_desk"))
ROLE_PERMISSIONS[SUBSCRIPTION_STAFF].append(("revenue", "view_desk"))
