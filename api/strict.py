"""OpenAPI schemas that say what the API enforces and sends, where Litestar's generated
ones do not: request bodies refuse unknown fields, and an event's times are local."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from litestar._openapi.schema_generation.plugins.dataclass import DataclassSchemaPlugin
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.spec import Schema
from litestar.typing import FieldDefinition

from site_builder.model import Event

from .schemas import CHOICES, LOCAL_TIME_FORMAT, LOCAL_TIME_HELP, Input

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator

LOCAL_TIMES = ("starts_at", "ends_at")
BOUNDS = {"ge": "minimum", "gt": "exclusive_minimum", "le": "maximum", "lt": "exclusive_maximum"}


def _zero_bounds(struct: type[Input], schema: Schema) -> Schema:
    """Restore numeric bounds of 0 (e.g. `ge=0`), which Litestar 2 drops as falsy."""
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType)
    for field in info.fields:
        prop = (schema.properties or {}).get(field.encode_name)
        kinds = (
            field.type.types if isinstance(field.type, msgspec.inspect.UnionType) else (field.type,)
        )
        for kind in kinds:
            if isinstance(kind, msgspec.inspect.Metadata):
                kind = kind.type
            if not isinstance(kind, msgspec.inspect.IntType | msgspec.inspect.FloatType):
                continue
            for bound, key in BOUNDS.items():
                if getattr(kind, bound) == 0 and isinstance(prop, Schema):
                    setattr(prop, key, 0)
    return schema


def _local_times(schema: Schema) -> Schema:
    """Mark the event time properties (and each branch of their unions) as local times."""
    for name in LOCAL_TIMES:
        prop = (schema.properties or {}).get(name)
        if not isinstance(prop, Schema):
            continue
        for branch in [prop, *(prop.one_of or ())]:
            if isinstance(branch, Schema) and branch.type is not None and branch.format:
                branch.format = LOCAL_TIME_FORMAT  # type: ignore[assignment]
        prop.format = LOCAL_TIME_FORMAT  # type: ignore[assignment]
        prop.description = LOCAL_TIME_HELP + (
            " Not before `starts_at`." if name == "ends_at" else ""
        )
    return schema


def _choices(schema: Schema) -> Schema:
    """Fields with a fixed set of values (`CHOICES`) list them as their `enum`."""
    for name, (values, why) in CHOICES.items():
        prop = (schema.properties or {}).get(name)
        if isinstance(prop, Schema):
            prop.enum = sorted(values)
            prop.description = f"One of `enum`; any other value {why}."
    return schema


class StrictBodySchemas(StructSchemaPlugin):
    """Request bodies: `additionalProperties: false`, as `Input` refuses unknown fields."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return field_definition.is_subclass_of(Input) and not field_definition.is_union

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        return _choices(_local_times(_zero_bounds(field_definition.annotation, schema)))


class EventSchema(DataclassSchemaPlugin):
    """Events as answered: their times are local wall-clock times, sent without offset."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return field_definition.is_subclass_of(Event)

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        return _local_times(super().to_openapi_schema(field_definition, schema_creator))
