/**
 * Preloaded (`--import`) into the processes the fault tests and the soak benchmark start
 * (app-process.ts): ends the process once the one that started it is gone, so a run that crashed
 * or was interrupted leaves no bot behind polling Telegram and working queues.
 */
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 500).unref();
