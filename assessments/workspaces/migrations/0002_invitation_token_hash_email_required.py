# Invitations keep only the SHA-256 of their link's token, and name the address they are for.

import hashlib

from django.db import migrations, models


def hash_tokens(apps, schema_editor):
    Invitation = apps.get_model("workspaces", "Invitation")
    for invitation in Invitation.objects.only("pk", "token"):
        digest = hashlib.sha256(invitation.token.encode()).hexdigest()
        Invitation.objects.filter(pk=invitation.pk).update(token_hash=digest)


class Migration(migrations.Migration):
    dependencies = [
        ("workspaces", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="token_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(hash_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="invitation",
            name="token_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.RemoveField(
            model_name="invitation",
            name="token",
        ),
        migrations.AlterField(
            model_name="invitation",
            name="email",
            field=models.EmailField(max_length=254),
        ),
    ]
