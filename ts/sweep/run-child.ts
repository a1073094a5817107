// One run of a sweep: the `albert-train` CLI as it is (argv: train and the run's flags), in a
// process that ends itself when the sweep that started it is gone (its parent changes: killed
// with SIGKILL, it could not stop its runs), so a sweep started again never finds a leftover run
// still writing into a run folder. The watch is unref'd: it keeps nothing alive.
const sweepPid = process.ppid;
setInterval(() => {
  if (process.ppid !== sweepPid) process.kill(process.pid, 'SIGKILL');
}, 200).unref();

// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../cli');
