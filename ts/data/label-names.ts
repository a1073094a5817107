// Class names for integer labels from a companion text column, as the SetFit datasets carry
// one (`label` 0/1 beside `label_text` objective/subjective): when every row's integer label
// goes with exactly one name and every class has one, those names become the model's
// id2label, so predictions say "subjective" rather than LABEL_1. Anything less consistent
// leaves the names alone (LABEL_i, as HF's Trainer names them).
import { type DatasetRow, readDataset } from './dataset';

export const LABEL_TEXT_COLUMN = 'label_text';

export function labelNamesFromTextColumn(
  file: string,
  rows: readonly DatasetRow[],
  numLabels: number,
  columns: { textColumn: string; textPairColumn?: string },
  labelTextColumn = LABEL_TEXT_COLUMN,
): string[] | undefined {
  let named: ReturnType<typeof readDataset>;
  try {
    named = readDataset(file, { ...columns, labelColumn: labelTextColumn });
  } catch {
    return undefined; // no such column, or not names in every row
  }
  if (!named.labelNames || named.rows.length !== rows.length) return undefined;
  const names = new Array<string | undefined>(numLabels).fill(undefined);
  for (let i = 0; i < rows.length; i++) {
    const name = named.labelNames[named.rows[i].label];
    const id = rows[i].label;
    if (names[id] === undefined) names[id] = name;
    else if (names[id] !== name) return undefined;
  }
  if (names.some((n) => n === undefined) || new Set(names).size !== numLabels) return undefined;
  return names as string[];
}
