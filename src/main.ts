/**
 * Entry point of `npm start`: configuration, then the application in its role (APP_ROLE: all,
 * web or worker), then a clean shutdown on SIGINT or SIGTERM.
 */
import { ConfigError, loadConfig, loadDotEnv } from "./config.js";
import { createLogger } from "./logger.js";
import { startApp, StartupError } from "./app.js";

loadDotEnv();

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

const logger = createLogger(config.log);

// A stray rejection inside a library (whatsapp-web.js closing its page on logout, for one) is
// logged, not allowed to take the whole bot down.
process.on("unhandledRejection", (reason) => {
  logger.error(
    { err: reason instanceof Error ? { message: reason.message, stack: reason.stack } : reason },
    "unhandled rejection",
  );
});

try {
  const app = await startApp(config, logger);
  // SIGTERM (systemd, Docker, a rolling restart) or SIGINT: stop taking work, let active jobs
  // finish (15 s at most), close connections, exit 0. A second signal, or a stop that hangs past
  // 20 s, ends the process at once; jobs it left are taken over by another worker.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, role: config.role }, "shutting down: finishing active jobs (up to 15 s)");
    const force = setTimeout(() => {
      logger.error("shutdown took longer than 20 s: exiting now");
      process.exit(1);
    }, 20_000).unref();
    app
      .stop()
      .then(() => {
        clearTimeout(force);
        logger.info("stopped");
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      });
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
} catch (err) {
  if (err instanceof StartupError) {
    console.error(err.message);
    process.exit(1);
  }
  logger.fatal({ err }, "start-up failed");
  process.exit(1);
}
