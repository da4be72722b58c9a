"""common.errors.from_validation_error: one row per pydantic failure, naming field, row, unit and value."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator

from common.errors import InputError, InputErrors, from_validation_error


class Draw(BaseModel):
    amount: float = Field(gt=0)


class Spt(BaseModel):
    design: Literal["spt"] = "spt"
    step_down_bp: float = Field(lt=0)


class Grid(BaseModel):
    design: Literal["grid"] = "grid"
    cap_bp: float


class Loan(BaseModel):
    drawdowns: list[Draw]
    ratchet: Annotated[Spt | Grid, Field(discriminator="design")]
    currency: str

    @field_validator("currency")
    @classmethod
    def _ccy(cls, v):
        if v not in ("CNY", "USD"):
            raise InputError("currency must be CNY or USD", unit="ISO 4217")
        return v


def errors(data, **kw) -> InputErrors:
    with pytest.raises(ValidationError) as e:
        Loan.model_validate(data)
    return from_validation_error(e.value, **kw)


def test_rows_fields_units_and_values():
    out = errors({"drawdowns": [{"amount": 5}, {"amount": -1}], "ratchet": {"design": "spt", "step_down_bp": 3},
                  "currency": "CNY"}, file="deal.toml", units={"amount": "CNY", "step_down_bp": "bp"},
                 union_tags={"ratchet": {"spt", "grid"}})
    rows = out.table()
    # the second drawdown (row 2) and the ratchet without its union tag in the field name
    assert rows[0] == {"file": "deal.toml", "row": 2, "field": "drawdowns[1].amount", "unit": "CNY", "value": "-1",
                       "reason": "Input should be greater than 0",
                       # pydantic's error type and context, which the app translates (issue 17)
                       "code": "greater_than", "params": {"gt": 0.0}}
    assert rows[1]["field"] == "ratchet.step_down_bp" and rows[1]["unit"] == "bp" and rows[1]["value"] == "3"
    assert len(rows) == 2


def test_missing_field_has_no_value_and_validator_errors_keep_their_own_message():
    out = errors({"drawdowns": [], "ratchet": {"design": "grid"}, "currency": "EUR"}, prefix="loan.")
    by_field = {e.field: e for e in out.errors}
    assert by_field["loan.ratchet.grid.cap_bp"].value is None
    assert by_field["loan.ratchet.grid.cap_bp"].message == "Field required"
    cur = by_field["loan.currency"]
    assert cur.message == "currency must be CNY or USD" and cur.unit == "ISO 4217" and cur.value is None
