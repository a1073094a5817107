// A one-line download progress bar: file name, bytes received of the total, percent. Drawn
// on a TTY only (redrawn at most 10 times a second), and never when
// HF_HUB_DISABLE_PROGRESS_BARS is set, as in huggingface_hub; elsewhere it writes nothing.
export interface ProgressBar {
  update(received: number): void;
  done(): void;
  fail(): void;
}

const SILENT: ProgressBar = { update() {}, done() {}, fail() {} };
const WIDTH = 24;

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** `tokenizer.json [##########..............]  0.3 MB / 0.8 MB  42%` */
export function progressLine(label: string, received: number, total: number | undefined): string {
  if (!total) return `${label} ${megabytes(received)}`;
  const fraction = Math.min(1, received / total);
  const filled = Math.round(fraction * WIDTH);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${megabytes(received)} / ${megabytes(total)} ${Math.floor(fraction * 100)}%`;
}

export function progressBar(stream: NodeJS.WriteStream, label: string, total: number | undefined): ProgressBar {
  const disabled = ['1', 'ON', 'YES', 'TRUE'].includes((process.env.HF_HUB_DISABLE_PROGRESS_BARS ?? '').toUpperCase());
  if (!stream.isTTY || disabled) return SILENT;
  let last = 0;
  let received = 0;
  const draw = () => stream.write(`\r${progressLine(label, received, total)}\x1b[K`);
  draw();
  return {
    update(bytes) {
      received = bytes;
      const now = Date.now();
      if (now - last >= 100) {
        last = now;
        draw();
      }
    },
    done() {
      draw();
      stream.write('\n');
    },
    fail() {
      stream.write('\n');
    },
  };
}
