"""JSON schema of the facility TOML file (``dcsll schema facility``)."""

from __future__ import annotations

from index.models import Facility, PeriodData


def _allow_bare_numbers(schema: dict) -> dict:
    """Figures may be written as a bare number or as a ``{value, status, source, unit}`` table."""
    fig_ref = "#/$defs/Figure"

    def walk(node):
        if isinstance(node, dict):
            if node.get("$ref") == fig_ref:
                return {"anyOf": [{"type": "number"}, {"$ref": fig_ref}]}
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out = walk(schema)
    fig = out.get("$defs", {}).get("Figure")
    if fig:
        fig.setdefault("properties", {})["unit"] = {
            "type": "string", "description": "unit of value when not the field's own (converted on load)"}
    return out


def facility_file_schema() -> dict:
    """JSON schema of a facility file: a ``facility`` table and a ``periods`` array."""
    fac = Facility.model_json_schema()
    per = PeriodData.model_json_schema()
    defs = {**fac.pop("$defs", {}), **per.pop("$defs", {})}
    fac["properties"].pop("periods", None)
    per["properties"]["year"] = {"type": "integer", "description": "calendar year (sets start/end)"}
    per["required"] = ["label"]
    defs["PeriodData"] = per
    defs["FacilityTable"] = fac
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "dcsll facility file",
        "type": "object",
        "properties": {"facility": {"$ref": "#/$defs/FacilityTable"},
                       "periods": {"type": "array", "items": {"$ref": "#/$defs/PeriodData"}}},
        "required": ["facility"],
        "additionalProperties": False,
        "$defs": defs,
    }
    return _allow_bare_numbers(schema)
