/**
 * Issue 15, item 8: configuration errors and start-up messages never print a secret in full.
 * A token shows its first 4 characters (enough to tell which one was set), a password in a URL
 * shows as ***, the dashboard's session secret only its length.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { connectServices, StartupError } from "../../src/app.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";

/** The message of the ConfigError loadConfig throws for `env`. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`no error for ${Object.keys(env).join(", ")}`);
}

const token = "123456789:AAHsecretPartOfTheToken x";
const webhookSecret = "s3cret-x";

describe("a configuration error", () => {
  it.each([
    ["TELEGRAM_BOT_TOKEN", token, ["AAHsecretPartOfTheToken", "56789:AAHs"], '"1234*** ('],
    ["TELEGRAM_WEBHOOK_SECRET", webhookSecret, ["s3cret"], '"***"'],
    ["DASHBOARD_SESSION_SECRET", "too-short-s3cret", ["s3cret"], "[hidden, 16 characters]"],
    ["DATABASE_URL", "mysql://sapa:db-s3cret@db.example/sapa", ["db-s3cret"], "mysql://sapa:***@db.example/sapa"],
    // A password with an unescaped @ in it, in a URL the configuration refuses.
    ["DATABASE_URL", "postgres//sapa:db@s3cret@db.example/sapa", ["db@s3cret", "s3cret"], "sapa:***@db.example"],
    ["DATABASE_URL", "mysql://db.example/sapa?password=db-s3cret", ["db-s3cret"], "password=***"],
    ["REDIS_URL", "http://:redis-s3cret@cache.example:6379", ["redis-s3cret"], "http://:***@cache.example:6379"],
  ])("for %s masks the secret (%s)", (variable, value, hidden, shown) => {
    const error = configError({ [variable]: value });
    expect(error.variable).toBe(variable);
    for (const secret of hidden) expect(error.message).not.toContain(secret);
    expect(error.message).toContain(shown);
  });

  it("still names the value of variables that hold no secret", () => {
    expect(configError({ PORT: "abc" }).message).toContain('PORT="abc"');
  });

  it("from npm start prints the token masked", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: { ...process.env, TELEGRAM_BOT_TOKEN: token },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("TELEGRAM_BOT_TOKEN=");
    expect(result.stderr).not.toContain("AAHsecretPartOfTheToken");
  });
});

describe("a start-up message", () => {
  const logger = createLogger({ level: "silent" });

  it("about an unreachable Redis hides its password", async () => {
    const config = loadConfig({ REDIS_URL: "redis://:redis-s3cret@127.0.0.1:1" });
    const error = await connectServices(config, logger).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as Error).message).toContain("redis://:***@127.0.0.1:1");
    expect((error as Error).message).not.toContain("redis-s3cret");
  });

  it("about an unreachable database hides its password", async () => {
    const config = loadConfig({ DATABASE_URL: "postgresql://sapa:db-s3cret@127.0.0.1:1/sapa" });
    const error = await connectServices(config, logger).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as Error).message).toContain("postgresql://sapa:***@127.0.0.1:1/sapa");
    expect((error as Error).message).not.toContain("db-s3cret");
  });
});
