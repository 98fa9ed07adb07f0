/**
 * Preloaded (`--import`) into the application processes the soak benchmark starts: ends the
 * process once the benchmark that started it is gone, so a run that crashed or was interrupted
 * leaves no bot behind polling the fake Telegram and working queues.
 */
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 500).unref();
