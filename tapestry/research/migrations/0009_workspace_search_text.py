from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("research", "0008_research_log_append_only")]

    operations = [
        migrations.AddField(
            model_name="workspace",
            name="search_text",
            field=models.TextField(default="", editable=False),
        ),
    ]
