// Table helpers shared by the views.

/** Appends to `table` a header row of column headers (`scope="col"`), one per label. */
export function headerRow(table, labels) {
  const tr = table.createTHead().insertRow();
  for (const label of labels) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = label;
    tr.append(th);
  }
  return tr;
}
