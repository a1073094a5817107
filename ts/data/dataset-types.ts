// The shapes a labelled dataset is read into, shared by the readers (dataset.ts, read-split.ts)
// and the label reader (label-reader.ts), so none of them imports another for its types.

export type DataFormat = 'jsonl' | 'csv' | 'tsv';

export interface DatasetRow {
  text: string;
  textPair?: string;
  /** Class id in [0, numLabels). */
  label: number;
  /** 1-based line of the file where the row starts (parquet: the row's number in the split). */
  line: number;
}

export interface LabelledDataset {
  rows: DatasetRow[];
  /**
   * id -> name: when labels are names, label2id was given, or (integer labels) a `label_text`
   * column names every class consistently (ts/data/label-names.ts); else undefined.
   */
  labelNames?: string[];
  numLabels: number;
  format: DataFormat | 'parquet';
}
