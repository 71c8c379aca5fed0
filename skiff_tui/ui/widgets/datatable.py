"""A DataTable that draws its cells again when its columns widen.

Textual's DataTable measures new rows on its next idle turn, and caches every drawn cell under a
counter that measuring does not advance. A frame drawn between `add_row` and that idle turn (a
screen refresh can come first) caches cells cut to the old column widths, and a table of fixed
height keeps showing them: the Values screen sometimes showed "BR2_ar" for a whole session. Here a
change of column widths drops the drawn cells (tests/ui/test_datatable_widths.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


class RedrawingDataTable(DataTable):
    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        before = [column.get_render_width(self) for column in self.columns.values()]
        super()._update_dimensions(new_rows)
        if [column.get_render_width(self) for column in self.columns.values()] != before:
            self._clear_caches()
            self.refresh()
