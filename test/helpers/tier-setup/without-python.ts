// setupFiles of the unit and native tiers (jest.config.js): they run without the Python venv. The
// reference python refuses to start (test/helpers/python.ts reads this variable), naming the tier a
// test that needs it belongs in; children spawned with this environment find no .venv on PATH.
import * as path from 'path';

process.env.ALBERT_TRAINER_TEST_NO_PYTHON = '1';
process.env.PATH = (process.env.PATH ?? '')
  .split(path.delimiter)
  .filter((dir) => !dir.split(path.sep).includes('.venv'))
  .join(path.delimiter);
