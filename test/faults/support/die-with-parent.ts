/**
 * Preloaded (`--import`) into the application processes the fault tests start: ends the process
 * once the test process that started it is gone, so a test run that crashed leaves no bot behind
 * polling Telegram and working queues.
 */
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 500).unref();
