/**
 * A throwaway PostgreSQL cluster of the test's own (initdb in a temporary folder, a free port,
 * trust authentication), for the test that stops and starts PostgreSQL: the shared server serves
 * every other test file at the same time and must stay up. PostgreSQL refuses to run as root,
 * so when the tests run as root the cluster belongs to the "postgres" user.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "../../support/redis-server.js";

const run = promisify(execFile);

/** Where initdb and pg_ctl are: on PATH, or in Debian's versioned folder. */
function binary(name: string): string {
  for (const dir of (process.env.PATH ?? "").split(":"))
    if (fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  const debian = "/usr/lib/postgresql";
  if (fs.existsSync(debian))
    for (const version of fs.readdirSync(debian).sort().reverse()) {
      const candidate = path.join(debian, version, "bin", name);
      if (fs.existsSync(candidate)) return candidate;
    }
  throw new Error(`${name} not found`);
}

/** Whether a private cluster can be made here (the binaries exist, and a non-root user to run them). */
export function privatePostgresAvailable(): boolean {
  try {
    binary("initdb");
    binary("pg_ctl");
  } catch {
    return false;
  }
  return process.getuid?.() !== 0 || owner() !== null;
}

function owner(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const line = fs
      .readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.startsWith("postgres:"));
    if (!line) return null;
    const [, , uid, gid] = line.split(":");
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return null;
  }
}

export type PrivatePostgres = {
  /** postgresql://postgres@127.0.0.1:<port>/<database> */
  url(database: string): string;
  createDatabase(name: string): Promise<void>;
  /** pg_ctl stop -m fast: connections are cut, the server shuts down cleanly. */
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
};

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sapa-pg-"));
  const data = path.join(dir, "data");
  const as = owner();
  if (as) fs.chownSync(dir, as.uid, as.gid);
  const pgctl = (...args: string[]) =>
    run(binary("pg_ctl"), ["-D", data, ...args], { ...(as ?? {}), cwd: dir, timeout: 60_000 });
  await run(binary("initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], {
    ...(as ?? {}),
    cwd: dir,
    timeout: 60_000,
  });
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
  const start = async () => {
    await pgctl("-o", options, "-l", path.join(dir, "log"), "-w", "-t", "30", "start");
  };
  const stop = async () => {
    await pgctl("-m", "fast", "-w", "-t", "30", "stop");
  };
  await start();
  const url = (database: string) => `postgresql://postgres@127.0.0.1:${port}/${database}`;
  return {
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url("postgres") });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
    },
    stop,
    start,
    async destroy() {
      await pgctl("-m", "immediate", "-w", "stop").catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
