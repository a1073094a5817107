// Class names for integer labels from a companion text column, as the SetFit datasets carry
// one (`label` 0/1 beside `label_text` objective/subjective), in any format the split comes in:
// when every row's integer label goes with exactly one name and every class has one, those
// names become the model's id2label, so predictions say "subjective" rather than LABEL_1.
// Anything less consistent leaves the names alone (LABEL_i, as HF's Trainer names them). The
// whole split is read (both columns), whatever part of it the run trains on.
import { readSplit } from './read-split';

export const LABEL_TEXT_COLUMN = 'label_text';

export async function labelNamesFromTextColumn(
  files: string[],
  numLabels: number,
  columns: { textColumn: string; textPairColumn?: string; labelColumn: string },
  labelTextColumn = LABEL_TEXT_COLUMN,
): Promise<string[] | undefined> {
  let ids: Awaited<ReturnType<typeof readSplit>>;
  let named: Awaited<ReturnType<typeof readSplit>>;
  try {
    ids = await readSplit(files, columns);
    named = await readSplit(files, { ...columns, labelColumn: labelTextColumn });
  } catch {
    return undefined; // no such column, or not names in every row
  }
  if (!named.labelNames || named.rows.length !== ids.rows.length) return undefined;
  const names = new Array<string | undefined>(numLabels).fill(undefined);
  for (let i = 0; i < ids.rows.length; i++) {
    const name = named.labelNames[named.rows[i].label];
    const id = ids.rows[i].label;
    if (id < 0 || id >= numLabels) return undefined;
    if (names[id] === undefined) names[id] = name;
    else if (names[id] !== name) return undefined;
  }
  if (names.some((n) => n === undefined) || new Set(names).size !== numLabels) return undefined;
  return names as string[];
}
