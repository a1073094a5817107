// Class names for integer labels from a companion text column, as the SetFit datasets carry
// one (`label` 0/1 beside `label_text` objective/subjective), in any format the split comes in:
// when every row's integer label goes with exactly one name and every class has one, those
// names become the split's labelNames (and so the model's id2label), so predictions say
// "subjective" rather than LABEL_1. Anything less consistent leaves the names alone (LABEL_i,
// as HF's Trainer names them). The readers feed every row of the whole split to one
// LabelTextNames in the same pass that reads the labels (ts/data/dataset.ts, read-split.ts),
// whatever part of the split the run then trains on.
export const LABEL_TEXT_COLUMN = 'label_text';

/** Collects (class id, label_text) pairs row by row; names() says whether they name every class. */
export class LabelTextNames {
  private readonly byId = new Map<number, string>();
  private consistent = true;

  /** One row: its class id and its label_text cell (undefined: the row has none). */
  add(id: number, value: unknown): void {
    if (!this.consistent) return;
    if (typeof value !== 'string' || value.trim() === '' || !Number.isInteger(id) || id < 0) {
      this.consistent = false;
      return;
    }
    const known = this.byId.get(id);
    if (known === undefined) this.byId.set(id, value);
    else if (known !== value) this.consistent = false;
  }

  /** The names by id when every class 0..numLabels-1 has exactly one and no two share one; else undefined. */
  names(numLabels: number): string[] | undefined {
    if (!this.consistent || this.byId.size !== numLabels) return undefined;
    const names = Array.from({ length: numLabels }, (_, id) => this.byId.get(id));
    if (names.some((n) => n === undefined) || new Set(names).size !== numLabels) return undefined;
    return names as string[];
  }
}
