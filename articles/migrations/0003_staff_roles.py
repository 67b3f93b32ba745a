"""Create the staff groups (Reporter, Editor, Chief editor, Subscription staff).

The groups and their permissions are defined once, in ``core.roles``;
``post_migrate`` runs the same sync again so later models join their roles.
"""

from django.db import migrations

from core.roles import sync_roles_in_migration


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("newsroom", "0001_initial"),
        ("subscriptions", "0001_initial"),
        ("articles", "0002_revision"),
    ]

    operations = [
        migrations.RunPython(sync_roles_in_migration, migrations.RunPython.noop),
    ]
