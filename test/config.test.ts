import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("loadConfig", () => {
  it("runs locally with nothing set", () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ provider: "sqlite", url: "file:data/sapa.db" });
    expect(config.redis.url).toBe("redis://127.0.0.1:6379");
    expect(config.http.port).toBe(3000);
    expect(config.defaultTimeZone).toBe("Asia/Jakarta");
    expect(config.defaultLanguage).toBe("id");
  });

  it("treats an empty value as unset", () => {
    expect(loadConfig({ PORT: "" }).http.port).toBe(3000);
  });

  it("reads the schedule of motivation, quiet hours and the weekly cap", () => {
    expect(loadConfig({}).schedule).toEqual({
      motivationCron: "0 8 * * 2",
      quietHours: { start: 20 * 60, end: 7 * 60 },
      weeklyCap: 2,
    });
    expect(loadConfig({ MOTIVATION_SCHEDULE: "off", QUIET_HOURS: "OFF", WEEKLY_MESSAGE_CAP: "3" }).schedule).toEqual({
      motivationCron: null,
      quietHours: null,
      weeklyCap: 3,
    });
    expect(loadConfig({ MOTIVATION_SCHEDULE: "30 9 * * 1-5", QUIET_HOURS: "21:30-06:00" }).schedule).toMatchObject({
      motivationCron: "30 9 * * 1-5",
      quietHours: { start: 21 * 60 + 30, end: 6 * 60 },
    });
  });

  it("needs the dashboard's session secret in production, and never prints it", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/DASHBOARD_SESSION_SECRET/);
    let error: unknown;
    try {
      loadConfig({ DASHBOARD_SESSION_SECRET: "short-secret" });
    } catch (err) {
      error = err;
    }
    expect((error as ConfigError).message).toContain("[hidden, 12 characters]");
    expect((error as ConfigError).message).not.toContain("short-secret");
    const secret = "x".repeat(40);
    const production = loadConfig({ NODE_ENV: "production", DASHBOARD_SESSION_SECRET: secret });
    expect(production.dashboard).toEqual({ sessionSecret: secret, secureCookies: false });
    expect(loadConfig({ PUBLIC_URL: "https://bot.example.go.id" }).dashboard.secureCookies).toBe(true);
  });

  describe("the WhatsApp provider", () => {
    const cloud = {
      WHATSAPP_PROVIDER: "cloud",
      WHATSAPP_CLOUD_ACCESS_TOKEN: "EAAG" + "z".repeat(60),
      WHATSAPP_CLOUD_PHONE_NUMBER_ID: "109876543210987",
      WHATSAPP_CLOUD_APP_SECRET: "0123456789abcdef0123456789abcdef",
      WHATSAPP_CLOUD_VERIFY_TOKEN: "sapa-ikm-verify",
    };

    it("is the linked phone by default, and the Cloud API turns WhatsApp on with its defaults", () => {
      expect(loadConfig({}).whatsapp).toMatchObject({ enabled: false, provider: "web", cloud: null });
      expect(loadConfig(cloud).whatsapp).toMatchObject({
        enabled: true,
        provider: "cloud",
        cloud: {
          phoneNumberId: "109876543210987",
          apiRoot: "https://graph.facebook.com",
          apiVersion: "v23.0",
          perSecond: 80,
          dailyLimit: 1000,
          price: { utility: null, marketing: null },
        },
      });
      const custom = loadConfig({
        ...cloud,
        WHATSAPP_CLOUD_API_ROOT: "http://127.0.0.1:9999/",
        WHATSAPP_CLOUD_DAILY_LIMIT: "Unlimited",
        WHATSAPP_CLOUD_PRICE_MARKETING: "586.33",
      }).whatsapp.cloud!;
      expect(custom).toMatchObject({ apiRoot: "http://127.0.0.1:9999", dailyLimit: null });
      expect(custom.price.marketing).toBe(586.33);
    });

    it.each(Object.keys(cloud).filter((k) => k !== "WHATSAPP_PROVIDER"))(
      "names %s when the Cloud API is chosen without it",
      (variable) => {
        const settings: Record<string, string> = { ...cloud };
        delete settings[variable];
        expect(() => loadConfig(settings)).toThrow(new RegExp(`${variable}.*required when WHATSAPP_PROVIDER=cloud`));
      },
    );

    it("never prints the app secret, and names a bad value", () => {
      let error: unknown;
      try {
        loadConfig({ ...cloud, WHATSAPP_CLOUD_APP_SECRET: "too-short" });
      } catch (err) {
        error = err;
      }
      expect((error as ConfigError).variable).toBe("WHATSAPP_CLOUD_APP_SECRET");
      expect((error as ConfigError).message).not.toContain("too-short");
      expect(() => loadConfig({ ...cloud, WHATSAPP_PROVIDER: "official" })).toThrow(/WHATSAPP_PROVIDER="official"/);
      expect(() => loadConfig({ ...cloud, WHATSAPP_CLOUD_PHONE_NUMBER_ID: "+62 812 3456" })).toThrow(
        /WHATSAPP_CLOUD_PHONE_NUMBER_ID.*phone number id/,
      );
      expect(() => loadConfig({ ...cloud, WHATSAPP_CLOUD_DAILY_LIMIT: "lots" })).toThrow(/WHATSAPP_CLOUD_DAILY_LIMIT/);
    });
  });

  it("recognises PostgreSQL", () => {
    expect(loadConfig({ DATABASE_URL: "postgresql://u@db:5432/sapa" }).database.provider).toBe("postgresql");
  });

  it.each([
    ["PORT", "abc", /PORT="abc".*integer from 1 to 65535/],
    ["PORT", "70000", /PORT="70000".*integer from 1 to 65535/],
    ["DATABASE_URL", "mysql://x", /DATABASE_URL="mysql:\/\/x".*SQLite file.*PostgreSQL URL/],
    ["REDIS_URL", "localhost:6379", /REDIS_URL="localhost:6379".*redis:\/\//],
    ["DEFAULT_TIME_ZONE", "WIB", /DEFAULT_TIME_ZONE="WIB".*IANA time zone/],
    ["DEFAULT_LANGUAGE", "jv", /DEFAULT_LANGUAGE="jv".*id or en/],
    ["LOG_PRETTY", "maybe", /LOG_PRETTY="maybe".*true or false/],
    ["MOTIVATION_SCHEDULE", "every tuesday", /MOTIVATION_SCHEDULE="every tuesday".*cron expression/],
    ["MOTIVATION_SCHEDULE", "0 8 * *", /MOTIVATION_SCHEDULE="0 8 \* \*".*five fields/],
    ["MOTIVATION_SCHEDULE", "61 8 * * 2", /MOTIVATION_SCHEDULE="61 8 \* \* 2".*cron expression/],
    ["QUIET_HOURS", "20-7", /QUIET_HOURS="20-7".*20:00-07:00, or off/],
    ["WEEKLY_MESSAGE_CAP", "0", /WEEKLY_MESSAGE_CAP="0".*integer from 1 to 50/],
  ])("rejects %s=%s naming the variable, the value and what it expects", (variable, value, message) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toMatch(message);
    expect((error as ConfigError).message).not.toContain("\n");
  });
});

describe("npm start with a bad setting", () => {
  it("prints one line naming the variable and starts nothing", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: { ...process.env, PORT: "abc" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'Invalid configuration: PORT="abc" is not valid; expected an integer from 1 to 65535.',
    );
    expect(result.stdout).toBe("");
  });
});
