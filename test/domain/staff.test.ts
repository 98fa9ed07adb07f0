import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database.js";
import {
  audit,
  createApiToken,
  createLinkCode,
  createStaff,
  hashPassword,
  linkChatAccount,
  revokeApiToken,
  StaffError,
  verifyApiToken,
  verifyPassword,
} from "../../src/domain/staff.js";
import {
  createTestDatabaseUrl,
  openTestDatabase,
  providers,
  removeTestDatabase,
  type TestDatabase,
} from "../support/databases.js";

const password = "lada putih muntok";

describe("passwords", () => {
  it("hashes with scrypt and a salt, and verifies only the right password", async () => {
    const stored = await hashPassword(password);
    expect(stored).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(stored).not.toContain(password);
    expect(await hashPassword(password)).not.toBe(stored);
    expect(await verifyPassword(password, stored)).toBe(true);
    expect(await verifyPassword("lada putih muntoK", stored)).toBe(false);
    expect(await verifyPassword(password, "not a hash")).toBe(false);
    expect(await verifyPassword(password, "scrypt$1073741824$8$1$AAAA$AAAA")).toBe(false);
  });

  it("refuses a password under 10 characters, saying so", async () => {
    await expect(hashPassword("short")).rejects.toThrow(/at least 10 characters/);
  });
});

describe.each(providers)("staff on %s", (provider) => {
  let db: TestDatabase;
  let adminId: number;
  beforeAll(async () => {
    db = await openTestDatabase(provider);
    adminId = (
      await createStaff(db.prisma, { email: " Siti@Disperindag.example ", name: "Siti", role: "admin", password })
    ).id;
  });
  afterAll(() => db.destroy());

  it("creates staff with a lower-case email and a scrypt hash, and refuses the same email twice", async () => {
    const row = await db.prisma.staff.findUniqueOrThrow({ where: { id: adminId } });
    expect(row).toMatchObject({ email: "siti@disperindag.example", name: "Siti", role: "admin", active: true });
    expect(await verifyPassword(password, row.passwordHash)).toBe(true);
    const again = createStaff(db.prisma, { email: "SITI@disperindag.example", name: "S", role: "staff", password });
    await expect(again).rejects.toThrow(StaffError);
    await expect(again).rejects.toThrow(/siti@disperindag\.example already exists/);
  });

  it("verifies a token by its hash, and refuses unknown, revoked and expired ones and inactive staff", async () => {
    const { id, token } = await createApiToken(db.prisma, adminId, "dashboard");
    expect(token).toMatch(/^sapa_[A-Za-z0-9_-]{43}$/);
    const row = await db.prisma.apiToken.findUniqueOrThrow({ where: { id } });
    expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.tokenHash).not.toContain(token);
    expect(row.lastUsedAt).toBeNull();

    const now = new Date();
    expect(await verifyApiToken(db.prisma, token, now)).toEqual({
      staff: { id: adminId, name: "Siti", email: "siti@disperindag.example", role: "admin" },
      token: { id, name: "dashboard" },
    });
    expect((await db.prisma.apiToken.findUniqueOrThrow({ where: { id } })).lastUsedAt).toEqual(now);
    // Used again within the minute: lastUsedAt stays.
    await verifyApiToken(db.prisma, token, new Date(now.getTime() + 30_000));
    expect((await db.prisma.apiToken.findUniqueOrThrow({ where: { id } })).lastUsedAt).toEqual(now);

    expect(await verifyApiToken(db.prisma, `sapa_${"A".repeat(43)}`)).toBeNull();
    expect(await verifyApiToken(db.prisma, "")).toBeNull();
    expect(await verifyApiToken(db.prisma, row.tokenHash)).toBeNull();

    const expiring = await createApiToken(db.prisma, adminId, "short", new Date(Date.now() + 60_000));
    expect(await verifyApiToken(db.prisma, expiring.token)).not.toBeNull();
    expect(await verifyApiToken(db.prisma, expiring.token, new Date(Date.now() + 61_000))).toBeNull();

    expect(await revokeApiToken(db.prisma, id)).toBe(true);
    expect(await verifyApiToken(db.prisma, token)).toBeNull();

    const other = await createStaff(db.prisma, { email: "budi@example.go.id", name: "Budi", role: "staff", password });
    const otherToken = await createApiToken(db.prisma, other.id, "script");
    await db.prisma.staff.update({ where: { id: other.id }, data: { active: false } });
    expect(await verifyApiToken(db.prisma, otherToken.token)).toBeNull();
  });

  it("links a chat account with a code once; spaces and dashes are fine; expired codes are not", async () => {
    const now = new Date();
    const { code, expiresAt } = await createLinkCode(db.prisma, adminId, now);
    expect(code).toMatch(/^\d{8}$/);
    expect(expiresAt.getTime() - now.getTime()).toBe(15 * 60_000);
    const stored = await db.prisma.staffLinkCode.findFirstOrThrow({ where: { staffId: adminId, usedAt: null } });
    expect(stored.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.codeHash).not.toContain(code);

    const account = { channel: "telegram", platformUserId: "555001" };
    const spaced = `${code.slice(0, 4)} ${code.slice(4)}`;
    const linked = await linkChatAccount(db.prisma, spaced, account, new Date(now.getTime() + 60_000));
    expect(linked).toEqual({
      kind: "linked",
      staff: { id: adminId, name: "Siti", email: "siti@disperindag.example", role: "admin" },
    });
    expect(await db.prisma.staffIdentity.findMany({ where: { staffId: adminId } })).toMatchObject([account]);
    // Once only.
    expect(await linkChatAccount(db.prisma, code, { channel: "whatsapp", platformUserId: "62811" }, now)).toEqual({
      kind: "refused",
    });

    const dashed = await createLinkCode(db.prisma, adminId, now);
    const withDashes = `${dashed.code.slice(0, 4)}-${dashed.code.slice(4)}`;
    expect(await linkChatAccount(db.prisma, withDashes, account, now)).toMatchObject({ kind: "linked" });
    // Linking the same chat again keeps one identity.
    expect(await db.prisma.staffIdentity.count({ where: { ...account } })).toBe(1);

    const late = await createLinkCode(db.prisma, adminId, now);
    const refused = { kind: "refused" };
    expect(await linkChatAccount(db.prisma, late.code, account, new Date(now.getTime() + 15 * 60_000))).toEqual(
      refused,
    );
    expect(await linkChatAccount(db.prisma, "1234567", account, now)).toEqual(refused);
    expect(await linkChatAccount(db.prisma, "abcdefgh", account, now)).toEqual(refused);

    const logs = await db.prisma.auditLog.findMany({ where: { action: "staff.chat_linked" } });
    expect(logs).toHaveLength(2);
    expect(JSON.stringify(logs)).not.toContain(code);
  });

  it("writes audit rows, hiding anything that looks like a secret", async () => {
    await audit(db.prisma, adminId, "broadcast.create", "broadcast:1", {
      title: "Libur",
      token: "sapa_x",
      tokenHash: "ab12",
      tokenId: 3,
      tokenName: "laporan",
    });
    await audit(db.prisma, null, "staff.create", "staff:9");
    const rows = await db.prisma.auditLog.findMany({
      where: { action: { in: ["broadcast.create", "staff.create"] } },
      orderBy: { id: "asc" },
    });
    expect(rows).toMatchObject([
      {
        staffId: adminId,
        action: "broadcast.create",
        target: "broadcast:1",
        detail: { title: "Libur", token: "[hidden]", tokenHash: "[hidden]", tokenId: 3, tokenName: "laporan" },
      },
      { staffId: null, action: "staff.create", target: "staff:9", detail: null },
    ]);
  });
});

/** Runs the CLI like npm would, with `input` piped to it. */
function cli(
  args: string[],
  env: Record<string, string>,
  input = "",
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe("staff commands", () => {
  let url: string;
  beforeAll(async () => {
    url = await createTestDatabaseUrl("sqlite");
  });
  afterAll(() => removeTestDatabase(url));

  it("staff-create reads the password from a pipe; the first is admin; staff-token and staff-link-code print one line", async () => {
    const env = { DATABASE_URL: url };
    const created = await cli(
      ["staff-create", "--email", "Ani@Example.go.id", "--name", "Ani Lestari"],
      env,
      `${password}\n`,
    );
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(created.stdout.trim()).toMatch(/^Added Ani Lestari <ani@example\.go\.id> as admin \(staff id \d+\)\.$/);
    expect(created.stdout).not.toContain(password);

    const second = await cli(["staff-create", "--email", "rudi@example.go.id", "--name", "Rudi"], env, `${password}\n`);
    expect(second.stdout).toMatch(/as staff/);
    const twice = await cli(["staff-create", "--email", "rudi@example.go.id", "--name", "Rudi"], env, `${password}\n`);
    expect(twice.code).toBe(1);
    expect(twice.stderr.trim()).toBe("A staff member with the email rudi@example.go.id already exists.");
    const short = await cli(["staff-create", "--email", "tono@example.go.id", "--name", "Tono"], env, "pendek\n");
    expect(short.code).toBe(1);
    expect(short.stderr.trim()).toBe("The password is too short: use at least 10 characters.");

    const token = await cli(["staff-token", "--email", "ani@example.go.id", "--name", "dashboard"], env);
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(/not shown again/);
    const printed = /sapa_[A-Za-z0-9_-]{43}/.exec(token.stdout)?.[0];
    expect(printed).toBeDefined();

    const link = await cli(["staff-link-code", "--email", "ani@example.go.id"], env);
    expect(link.code).toBe(0);
    const code = /\b(\d{8})\b/.exec(link.stdout)?.[1];
    expect(link.stdout).toContain(`/tautkan ${code}`);
    expect(link.stdout).toContain(`TAUTKAN ${code}`);
    expect(link.stdout).toMatch(/15 minutes/);

    const unknown = await cli(["staff-token", "--email", "nobody@example.go.id"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);

    const database = openDatabase(url);
    try {
      const ani = await database.prisma.staff.findUniqueOrThrow({ where: { email: "ani@example.go.id" } });
      expect(ani).toMatchObject({ name: "Ani Lestari", role: "admin" });
      expect(ani.passwordHash).toMatch(/^scrypt\$/);
      expect(await verifyPassword(password, ani.passwordHash)).toBe(true);
      expect(await verifyApiToken(database.prisma, printed!)).toMatchObject({ staff: { id: ani.id, role: "admin" } });
      expect(
        await linkChatAccount(database.prisma, code!, { channel: "whatsapp", platformUserId: "6281" }),
      ).toMatchObject({ kind: "linked", staff: { id: ani.id } });
      const logs = await database.prisma.auditLog.findMany();
      expect(logs.map((l) => l.action).sort()).toEqual(
        ["api_token.create", "staff.chat_linked", "staff.create", "staff.create", "staff.link_code"].sort(),
      );
      expect(JSON.stringify(logs)).not.toContain(printed!);
    } finally {
      await database.close();
    }
  }, 90_000);
});
