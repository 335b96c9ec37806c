"""Declarative forms: one widget per field of a pydantic model, chosen by its type.

bool -> checkbox, int/float -> spin box, Literal -> combo, str -> line edit, list[str] ->
comma-separated line edit, ``X | None`` -> line edit (empty = None), anything else
(lists of models, dicts) -> a JSON editor. ``value()`` re-validates through the model."""

from __future__ import annotations

import json
import types
import typing
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from app.ui.settings.labels import field_label


def _unwrap_optional(tp) -> tuple[Any, bool]:
    if get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(get_args(tp)) == 2:
            return args[0], True
    return tp, False


class FieldEditor:
    """Reads and writes one field's value on its widget."""

    def __init__(self, annotation, value, parent: QWidget) -> None:
        self.tp, self.optional = _unwrap_optional(annotation)
        self.widget = self._make(value, parent)

    def _make(self, value, parent):
        tp = self.tp
        if get_origin(tp) is Literal:
            w = QComboBox(parent)
            w.addItems([str(a) for a in get_args(tp)])
            if self.optional:
                w.insertItem(0, "")
            w.setCurrentText("" if value is None else str(value))
            return w
        if tp is bool:
            w = QCheckBox(parent)
            w.setChecked(bool(value))
            return w
        if not self.optional and tp is int:
            w = QSpinBox(parent)
            w.setRange(-(2**31) + 1, 2**31 - 1)
            w.setValue(int(value))
            return w
        if not self.optional and tp is float:
            w = QDoubleSpinBox(parent)
            w.setRange(-1e9, 1e9)
            w.setDecimals(5 if abs(value) > 20 else 3)
            w.setValue(float(value))
            return w
        if tp in (str, int, float) or (get_origin(tp) is list and get_args(tp) == (str,)):
            w = QLineEdit(parent)
            w.setText(
                ", ".join(value)
                if isinstance(value, list)
                else ("" if value is None else str(value))
            )
            return w
        w = QPlainTextEdit(parent)
        w.setPlainText(json.dumps(_dump(value), ensure_ascii=False, indent=1))
        w.setMaximumHeight(110)
        return w

    def value(self):
        w = self.widget
        if isinstance(w, QComboBox):
            t = w.currentText()
            return None if (self.optional and not t) else t
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, (QSpinBox, QDoubleSpinBox)):
            return w.value()
        if isinstance(w, QLineEdit):
            text = w.text().strip()
            if get_origin(self.tp) is list:
                return [s.strip() for s in text.replace("，", ",").split(",") if s.strip()]
            if not text and self.optional:
                return None
            return text
        return json.loads(w.toPlainText() or "null")


def _dump(value):
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value


class ModelForm(QWidget):
    """A form for one settings section; ``skip`` hides fields handled elsewhere."""

    def __init__(self, model: BaseModel, section: str, skip=(), parent=None) -> None:
        super().__init__(parent)
        self.model = model
        self.section = section
        self.editors: dict[str, FieldEditor] = {}
        lay = QFormLayout(self)
        for name, info in type(model).model_fields.items():
            if name in skip:
                continue
            ed = FieldEditor(info.annotation, getattr(model, name), self)
            ed.widget.setObjectName(f"{section}.{name}")
            self.editors[name] = ed
            lay.addRow(field_label(section, name), ed.widget)

    def value(self) -> BaseModel:
        data = self.model.model_dump()
        data.update({k: e.value() for k, e in self.editors.items()})
        return type(self.model).model_validate(data)
