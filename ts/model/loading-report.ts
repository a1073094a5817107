// What a pretrained load did, printed as HF transformers 5 prints it ("LOAD REPORT": one row per
// key that was not simply loaded, then what each status means), so an HF user reads it at once.
import type { LoadingInfo } from './albert';

const NOTES = {
  UNEXPECTED: 'can be ignored when loading from different task/architecture; not ok if you expect identical arch.',
  MISSING: 'those params were newly initialized because missing from the checkpoint. Consider training on your downstream task.',
  MISMATCH: 're-initialized because the checkpoint\'s shape differs from the model\'s (--ignore-mismatched-sizes). Consider training on your downstream task.',
} as const;

const shape = (dims: number[]) => `[${dims.join(', ')}]`;

/** True when the load used every weight of the file and initialised none. */
export function loadedExactly(info: LoadingInfo): boolean {
  return info.missingKeys.length + info.unexpectedKeys.length + info.mismatchedKeys.length === 0;
}

/** The report as lines of text; empty when the checkpoint was loaded exactly. */
export function loadingReport(info: LoadingInfo, checkpoint: string): string[] {
  if (loadedExactly(info)) return [];
  const rows: Array<[string, keyof typeof NOTES, string]> = [
    ...info.unexpectedKeys.map((key) => [key, 'UNEXPECTED', ''] as [string, keyof typeof NOTES, string]),
    ...info.missingKeys.map((key) => [key, 'MISSING', ''] as [string, keyof typeof NOTES, string]),
    ...info.mismatchedKeys.map((m) => [m.key, 'MISMATCH', `checkpoint ${shape(m.checkpointShape)}, model ${shape(m.modelShape)}`] as [string, keyof typeof NOTES, string]),
  ];
  const width = [Math.max(3, ...rows.map((r) => r[0].length)), Math.max(6, ...rows.map((r) => r[1].length))];
  const line = (cells: string[]) => `${cells[0].padEnd(width[0])} | ${cells[1].padEnd(width[1])} | ${cells[2]}`.trimEnd();
  const statuses = [...new Set(rows.map((r) => r[1]))];
  return [
    `AlbertForSequenceClassification LOAD REPORT from: ${checkpoint}`,
    line(['Key', 'Status', '']),
    `${'-'.repeat(width[0])}-+-${'-'.repeat(width[1])}-+-`,
    ...rows.map((r) => line(r)),
    '',
    'Notes:',
    ...statuses.map((status) => `- ${status}: ${NOTES[status]}`),
  ];
}
