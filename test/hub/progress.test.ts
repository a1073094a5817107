// The download progress bar: drawn on a TTY (name, bytes of total, percent), silent elsewhere.
import { progressBar, progressLine } from '../../ts/hub/progress';

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream };
}

test('a line: the name, MB received of the total, percent', () => {
  expect(progressLine('org/tiny model.safetensors', 2_500_000, 10_000_000))
    .toBe('org/tiny model.safetensors [######..................] 2.5 MB / 10.0 MB 25%');
  expect(progressLine('config.json', 1234, undefined)).toBe('config.json 0.0 MB');
});

test('on a TTY: drawn in place, ended with a newline', () => {
  const { written, stream: tty } = stream(true);
  const bar = progressBar(tty, 'f', 100);
  bar.update(100);
  bar.done();
  expect(written[0]).toMatch(/^\rf \[\.+\] 0\.0 MB \/ 0\.0 MB 0%/);
  expect(written.at(-2)).toMatch(/^\rf \[#{24}\] 0\.0 MB \/ 0\.0 MB 100%/);
  expect(written.at(-1)).toBe('\n');
});

test('not a TTY, or HF_HUB_DISABLE_PROGRESS_BARS: nothing', () => {
  const { written, stream: pipe } = stream(false);
  const bar = progressBar(pipe, 'f', 100);
  bar.update(50);
  bar.done();
  expect(written).toEqual([]);
  const saved = process.env.HF_HUB_DISABLE_PROGRESS_BARS;
  process.env.HF_HUB_DISABLE_PROGRESS_BARS = '1';
  try {
    const { written: ttyWritten, stream: tty } = stream(true);
    progressBar(tty, 'f', 100).done();
    expect(ttyWritten).toEqual([]);
  } finally {
    if (saved === undefined) delete process.env.HF_HUB_DISABLE_PROGRESS_BARS;
    else process.env.HF_HUB_DISABLE_PROGRESS_BARS = saved;
  }
});
