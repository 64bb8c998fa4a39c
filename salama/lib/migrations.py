"""Migration operations of our own."""

from typing import Any

from django.db import migrations
from django.db.models import ForeignKey, Index


class DropForeignKeyIndex(migrations.SeparateDatabaseAndState):
    """`field` (a foreign key of `model_name`) loses its own index (db_index=False), and nothing
    else happens to the table. Django's AlterField would also drop and add the foreign key's
    constraint again, which checks every row under a lock: on a table of millions of check-ins,
    minutes of refused check-ins during an upgrade. Backwards: the index is built again."""

    def __init__(self, model_name: str, name: str, field: ForeignKey) -> None:
        self.model_name, self.name, self.field = model_name, name, field
        super().__init__(
            state_operations=[migrations.AlterField(model_name, name, field)],
            database_operations=[migrations.RunPython(self._drop, self._build)],
        )

    def _index(self, apps: Any, schema_editor: Any) -> tuple[Any, Any]:
        model = apps.get_model(self.model_label, self.model_name)
        return model, model._meta.get_field(self.name)

    def _drop(self, apps: Any, schema_editor: Any) -> None:
        model, field = self._index(apps, schema_editor)
        names = schema_editor._constraint_names(
            model, [field.column], index=True, unique=False, primary_key=False, type_=Index.suffix
        )
        for name in names:
            schema_editor.execute(schema_editor._delete_index_sql(model, name))

    def _build(self, apps: Any, schema_editor: Any) -> None:
        model, field = self._index(apps, schema_editor)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))

    def state_forwards(self, app_label: str, state: Any) -> None:
        self.model_label = app_label
        super().state_forwards(app_label, state)

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        self.model_label = app_label
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        self.model_label = app_label
        super().database_backwards(app_label, schema_editor, from_state, to_state)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        field = self.field
        return (
            self.__class__.__qualname__,
            [],
            {"model_name": self.model_name, "name": self.name, "field": field},
        )
