/**
 * Entry point of `npm start`: configuration, then the application, then a clean shutdown on
 * SIGINT or SIGTERM.
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
  const shutdown = (signal: string) => {
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 20_000).unref();
    app
      .stop()
      .then(() => {
        clearTimeout(force);
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      });
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
} catch (err) {
  if (err instanceof StartupError) {
    console.error(err.message);
    process.exit(1);
  }
  logger.fatal({ err }, "start-up failed");
  process.exit(1);
}
