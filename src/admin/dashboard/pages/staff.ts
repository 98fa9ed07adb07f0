/**
 * Staf (Staff, admins only): the accounts, inviting someone (an account with a temporary
 * password, shown once), changing a role, deactivating (which revokes the account's API tokens
 * and unlinks its chats for good) and reactivating (never one's own account), seeing and
 * removing anyone's linked chats, and revoking anyone's API tokens. Chat link codes and API
 * tokens are made by their owner only, on "Akses saya" (staff-access.ts): an admin who could
 * make a colleague's token could draft a broadcast as them and approve it as themselves. Secrets
 * are shown once, on the page that answers the form, and never stored or logged (the database
 * keeps hashes only). Every change goes in the audit log, without the secret.
 *
 * The invited person signs in with the temporary password, which the admin passes on by a safe
 * way (in person, a phone call), and must choose their own before anything else (pages/account.ts).
 */
import crypto from "node:crypto";
import { z } from "zod";
import { databaseId } from "../../../db/ids.js";
import {
  audit,
  createApiToken,
  createLinkCode,
  createStaff,
  hashPassword,
  linkCodeValidityMinutes,
  normalizeEmail,
  revokeApiToken,
  revokeStaffAccess,
  type StaffRole,
} from "../../../domain/staff.js";
import { notFoundPage, renderError } from "../errors.js";
import { bilingual, parseForm, type FieldErrors } from "../forms.js";
import { definePage, type DashboardPage, type PageContext } from "../page.js";
import { redirectWithFlash, render } from "../render.js";
import { text } from "../text.js";

const listPath = "/dashboard/staf";
/** "Akses saya": every staff member's own chats, link codes and API tokens (staff-access.ts). */
export const ownPath = "/dashboard/akses-saya";
const memberPath = (id: number) => `${listPath}/${id}`;

const roles = ["staff", "admin"] as const satisfies readonly StaffRole[];

/** Letters and digits that cannot be mistaken for each other when read aloud or copied by hand. */
const passwordAlphabet = "abcdefghjkmnpqrstuvwxyz23456789";

/** "k7pm-x2qa-9dfh": 12 random characters (about 59 bits), easy to pass on by phone. */
export function temporaryPassword(): string {
  const chars = Array.from({ length: 12 }, () => passwordAlphabet[crypto.randomInt(passwordAlphabet.length)]);
  return [0, 4, 8].map((i) => chars.slice(i, i + 4).join("")).join("-");
}

const inviteSchema = z.object({
  name: z.string().trim().min(1).max(200),
  email: z.string().trim().max(254).pipe(z.email()),
  role: z.enum(roles),
});

const roleSchema = z.object({ role: z.enum(roles) });
const activeSchema = z.object({ active: z.enum(["true", "false"]) });
export const tokenSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, bilingual("Beri nama agar token mudah dikenali nanti.", "Give it a name to recognise it later."))
    .max(100),
});
const idParams = z.object({ id: databaseId });
const tokenParams = z.object({ id: databaseId, tokenId: databaseId });
const chatParams = z.object({ id: databaseId, chatId: databaseId });

const channelNames: Record<string, string> = { telegram: "Telegram", whatsapp: "WhatsApp", web: "Web" };

/**
 * A chat account's platform id as the page shows it: the last four characters, enough to tell
 * one's own accounts apart, without a whole phone number ("6281234567890@c.us": "••••••7890").
 */
export function maskPlatformId(platformUserId: string): string {
  const bare = platformUserId.split("@")[0]!;
  if (bare.length <= 4) return "•".repeat(bare.length);
  return "•".repeat(Math.min(bare.length - 4, 6)) + bare.slice(-4);
}

async function loadStaffList(ctx: PageContext) {
  const rows = await ctx.deps.database.prisma.staff.findMany({
    orderBy: [{ active: "desc" }, { name: "asc" }],
    include: { identities: { select: { channel: true } } },
  });
  return rows.map((s) => ({
    id: s.id,
    name: s.name,
    email: s.email,
    role: s.role as StaffRole,
    active: s.active,
    lastLoginAt: s.lastLoginAt,
    chats: s.identities.map((i) => channelNames[i.channel] ?? i.channel),
  }));
}

async function renderList(ctx: PageContext, extra: { errors?: FieldErrors; values?: Record<string, string> } = {}) {
  return render(
    ctx.reply,
    "staff",
    { title: ctx.t("Staf", "Staff"), members: await loadStaffList(ctx), ...extra },
    { status: extra.errors ? 400 : 200 },
  );
}

/** The staff member of the `:id` in the path, with what the detail page shows; null when there is none. */
async function loadMember(ctx: PageContext) {
  const params = idParams.safeParse(ctx.request.params);
  if (!params.success) return null;
  return loadAccount(ctx, params.data.id);
}

/** A staff member with their linked chats and API tokens. */
export function loadAccount(ctx: PageContext, id: number) {
  return ctx.deps.database.prisma.staff.findUnique({
    where: { id },
    include: {
      identities: { orderBy: { createdAt: "asc" } },
      apiTokens: { orderBy: [{ revokedAt: "asc" }, { createdAt: "desc" }] },
    },
  });
}

type Member = NonNullable<Awaited<ReturnType<typeof loadMember>>>;

/**
 * An account's page: an admin's view of anyone (`own` false, forms under /dashboard/staf/:id), or
 * one's own "Akses saya" (`own` true, forms under its path, without the role and status forms).
 */
export function renderMember(ctx: PageContext, member: Member, extra: Record<string, unknown> = {}, own = false) {
  const now = new Date();
  return render(
    ctx.reply,
    "staff-member",
    {
      title: own ? ctx.t("Akses saya", "My access") : member.name,
      member,
      own,
      base: own ? ownPath : memberPath(member.id),
      self: member.id === ctx.staff.id,
      chats: member.identities.map((i) => ({
        id: i.id,
        channel: channelNames[i.channel] ?? i.channel,
        account: maskPlatformId(i.platformUserId),
        since: i.createdAt,
      })),
      tokens: member.apiTokens.map((tk) => ({
        id: tk.id,
        name: tk.name,
        createdAt: tk.createdAt,
        lastUsedAt: tk.lastUsedAt,
        expiresAt: tk.expiresAt,
        revokedAt: tk.revokedAt,
        expired: !!tk.expiresAt && tk.expiresAt <= now,
      })),
      ...extra,
    },
    { status: extra.errors ? 400 : 200 },
  );
}

/** The page that shows a secret once; it is not kept anywhere, so leaving the page loses it. */
export function renderSecret(
  ctx: PageContext,
  data: {
    kind: "password" | "link-code" | "api-token";
    secret: string;
    member: { id: number; name: string; email: string };
    expiresAt?: Date;
    /** A new temporary password for an existing account, not a new account's. */
    reset?: boolean;
    /** Where "done" leads: the staff member's page (the default), or "Akses saya". */
    back?: string;
  },
) {
  const titles = {
    password: data.reset ? ctx.t("Kata sandi diatur ulang", "Password reset") : ctx.t("Akun dibuat", "Account created"),
    "link-code": ctx.t("Kode tautan chat", "Chat link code"),
    "api-token": ctx.t("Token API dibuat", "API token created"),
  };
  return render(ctx.reply, "staff-secret", {
    title: titles[data.kind],
    ...data,
    back: data.back ?? memberPath(data.member.id),
    validityMinutes: linkCodeValidityMinutes,
    telegramBot: botUsername(ctx),
  });
}

function botUsername(ctx: PageContext): string | null {
  const adapter = ctx.deps.channels?.telegram as { telegraf?: { botInfo?: { username?: string } } } | undefined;
  return adapter?.telegraf?.botInfo?.username ?? null;
}

export const staffListPage = definePage({
  path: listPath,
  nav: { id: "Staf", en: "Staff", order: 80 },
  role: "admin",
  handler: (ctx) => renderList(ctx),
});

export const inviteStaffPage = definePage({
  method: "POST",
  path: listPath,
  role: "admin",
  async handler(ctx) {
    const { request, deps, staff } = ctx;
    const prisma = deps.database.prisma;
    const form = parseForm(inviteSchema, request.body);
    if (!form.ok) return renderList(ctx, { errors: form.errors, values: form.values });
    const email = normalizeEmail(form.data.email);
    if (await prisma.staff.findUnique({ where: { email }, select: { id: true } }))
      return renderList(ctx, {
        errors: {
          email: text("Sudah ada akun staf dengan email ini.", "There is already a staff account with this email."),
        },
        values: { name: form.data.name, email: form.data.email, role: form.data.role },
      });
    const password = temporaryPassword();
    const member = await createStaff(prisma, { ...form.data, email, password, temporary: true });
    await audit(prisma, staff.id, "staff.create", `staff:${member.id}`, { role: member.role, via: "dashboard" });
    return renderSecret(ctx, { kind: "password", secret: password, member });
  },
});

export const staffMemberPage = definePage({
  path: `${listPath}/:id`,
  role: "admin",
  async handler(ctx) {
    const member = await loadMember(ctx);
    if (!member) return renderError(ctx.reply, 404, notFoundPage);
    return renderMember(ctx, member);
  },
});

/**
 * A form posted about another staff member's account (`suffix` under it): 404 for one that does
 * not exist, refused with `ownAccount` for the admin's own (they could not undo it; another admin
 * can), otherwise `act`, which answers with a redirect back to the account.
 */
function memberChangePage(
  suffix: string,
  ownAccount: ReturnType<typeof text>,
  act: (ctx: PageContext, member: Member, back: string) => Promise<unknown>,
): DashboardPage {
  return definePage({
    method: "POST",
    path: `${listPath}/:id/${suffix}`,
    role: "admin",
    async handler(ctx) {
      const member = await loadMember(ctx);
      if (!member) return renderError(ctx.reply, 404, notFoundPage);
      const back = memberPath(member.id);
      if (member.id === ctx.staff.id) return redirectWithFlash(ctx.reply, back, ownAccount, "error");
      return act(ctx, member, back);
    },
  });
}

export const changeRolePage = memberChangePage(
  "peran",
  text("Anda tidak dapat mengubah peran akun Anda sendiri.", "You cannot change the role of your own account."),
  async ({ reply, deps, staff, request }, member, back) => {
    const form = parseForm(roleSchema, request.body);
    if (!form.ok) return redirectWithFlash(reply, back, text("Silakan pilih peran.", "Please choose a role."), "error");
    if (form.data.role !== member.role) {
      await deps.database.prisma.staff.update({ where: { id: member.id }, data: { role: form.data.role } });
      await audit(deps.database.prisma, staff.id, "staff.role_change", `staff:${member.id}`, {
        from: member.role,
        to: form.data.role,
      });
    }
    const label = form.data.role === "admin" ? text("admin", "admin") : text("staf", "staff");
    return redirectWithFlash(
      reply,
      back,
      text(`Peran ${member.name} sekarang ${label.id}.`, `${member.name}'s role is now ${label.en}.`),
    );
  },
);

export const setActivePage = memberChangePage(
  "status",
  text("Anda tidak dapat menonaktifkan akun Anda sendiri.", "You cannot deactivate your own account."),
  async ({ reply, deps, staff, request }, member, back) => {
    const form = parseForm(activeSchema, request.body);
    if (!form.ok) return redirectWithFlash(reply, back, text("Permintaan tidak valid.", "Invalid request."), "error");
    const active = form.data.active === "true";
    if (active !== member.active) {
      // Reactivated, a locked account starts afresh; deactivated, its sessions end at their next
      // request (index.ts re-reads the account), and its API tokens are revoked and its chats
      // unlinked for good: reactivating brings none of them back.
      await deps.database.prisma.staff.update({
        where: { id: member.id },
        data: active ? { active, failedLogins: 0, lockedUntil: null } : { active },
      });
      const revoked = active ? undefined : await revokeStaffAccess(deps.database.prisma, member.id);
      await audit(
        deps.database.prisma,
        staff.id,
        active ? "staff.reactivate" : "staff.deactivate",
        `staff:${member.id}`,
        revoked,
      );
    }
    return redirectWithFlash(
      reply,
      back,
      active
        ? text(`Akun ${member.name} aktif kembali.`, `${member.name}'s account is active again.`)
        : text(
            `Akun ${member.name} dinonaktifkan: tidak dapat masuk, token API-nya dicabut, dan akun chat-nya dilepas.`,
            `${member.name}'s account is deactivated: it cannot sign in, its API tokens are revoked and its chats unlinked.`,
          ),
    );
  },
);

/**
 * A new temporary password for someone who forgot theirs: shown once, to be changed at their
 * next sign-in; their sessions end (Staff.passwordChangedAt, see ../index.ts).
 */
export const resetPasswordPage = memberChangePage(
  "kata-sandi",
  text("Ganti kata sandi Anda sendiri di halaman Akun saya.", "Change your own password on the My account page."),
  async (ctx, member, back) => {
    const { deps, staff } = ctx;
    if (!member.active)
      return redirectWithFlash(
        ctx.reply,
        back,
        text("Akun ini tidak aktif; aktifkan dulu.", "This account is not active; reactivate it first."),
        "error",
      );
    const password = temporaryPassword();
    await deps.database.prisma.staff.update({
      where: { id: member.id },
      data: { passwordHash: await hashPassword(password), mustChangePassword: true, passwordChangedAt: new Date() },
    });
    await audit(deps.database.prisma, staff.id, "staff.password_reset", `staff:${member.id}`);
    return renderSecret(ctx, { kind: "password", secret: password, member, reset: true });
  },
);

/** Said when an admin asks for a link code or an API token of someone else's account. */
const ownerOnly = text(
  "Kode tautan dan token API hanya dapat dibuat oleh pemilik akun sendiri, di halaman Akses saya.",
  "Link codes and API tokens can be made only by the account's owner, on their My access page.",
);

export const createLinkCodePage = definePage({
  method: "POST",
  path: `${listPath}/:id/kode-tautan`,
  role: "admin",
  async handler(ctx) {
    const { reply, deps, staff } = ctx;
    const member = await loadMember(ctx);
    if (!member) return renderError(reply, 404, notFoundPage);
    if (member.id !== staff.id) return redirectWithFlash(reply, memberPath(member.id), ownerOnly, "error");
    if (!member.active)
      return redirectWithFlash(
        reply,
        memberPath(member.id),
        text("Akun ini tidak aktif; aktifkan dulu.", "This account is not active; reactivate it first."),
        "error",
      );
    const { code, expiresAt } = await createLinkCode(deps.database.prisma, member.id);
    await audit(deps.database.prisma, staff.id, "staff.link_code", `staff:${member.id}`, { via: "dashboard" });
    return renderSecret(ctx, { kind: "link-code", secret: code, member, expiresAt });
  },
});

export const createTokenPage = definePage({
  method: "POST",
  path: `${listPath}/:id/token`,
  role: "admin",
  async handler(ctx) {
    const { reply, deps, staff, request } = ctx;
    const member = await loadMember(ctx);
    if (!member) return renderError(reply, 404, notFoundPage);
    if (member.id !== staff.id) return redirectWithFlash(reply, memberPath(member.id), ownerOnly, "error");
    const form = parseForm(tokenSchema, request.body);
    if (!form.ok) return renderMember(ctx, member, { errors: form.errors, values: form.values });
    if (!member.active)
      return redirectWithFlash(
        reply,
        memberPath(member.id),
        text("Akun ini tidak aktif; aktifkan dulu.", "This account is not active; reactivate it first."),
        "error",
      );
    const { id, token } = await createApiToken(deps.database.prisma, member.id, form.data.name);
    await audit(deps.database.prisma, staff.id, "api_token.create", `apiToken:${id}`, {
      staffId: member.id,
      name: form.data.name,
      via: "dashboard",
    });
    return renderSecret(ctx, { kind: "api-token", secret: token, member });
  },
});

export const revokeTokenPage = definePage({
  method: "POST",
  path: `${listPath}/:id/token/:tokenId/cabut`,
  role: "admin",
  async handler(ctx) {
    const { reply, deps, staff, request } = ctx;
    const params = tokenParams.safeParse(request.params);
    if (!params.success) return renderError(reply, 404, notFoundPage);
    const prisma = deps.database.prisma;
    const token = await prisma.apiToken.findFirst({ where: { id: params.data.tokenId, staffId: params.data.id } });
    if (!token) return renderError(reply, 404, notFoundPage);
    if (await revokeApiToken(prisma, token.id))
      await audit(prisma, staff.id, "api_token.revoke", `apiToken:${token.id}`, {
        staffId: token.staffId,
        name: token.name,
      });
    return redirectWithFlash(
      reply,
      memberPath(token.staffId),
      text(
        `Token "${token.name}" dicabut dan tidak berlaku lagi.`,
        `The token "${token.name}" is revoked and no longer works.`,
      ),
    );
  },
});

/**
 * Unlinks a chat account from a staff member (from `staffId` only: a row of someone else is not
 * found), audited; its staff commands stop at its next message. True when there was one.
 */
export async function unlinkChat(ctx: PageContext, staffId: number, chatId: number): Promise<boolean> {
  const prisma = ctx.deps.database.prisma;
  const chat = await prisma.staffIdentity.findFirst({ where: { id: chatId, staffId } });
  if (!chat) return false;
  const { count } = await prisma.staffIdentity.deleteMany({ where: { id: chat.id, staffId } });
  if (count)
    await audit(prisma, ctx.staff.id, "staff.chat_unlinked", `staffIdentity:${chat.id}`, {
      staffId,
      channel: chat.channel,
      via: "dashboard",
    });
  return true;
}

export const unlinkChatPage = definePage({
  method: "POST",
  path: `${listPath}/:id/chat/:chatId/lepas`,
  role: "admin",
  async handler(ctx) {
    const params = chatParams.safeParse(ctx.request.params);
    if (!params.success || !(await unlinkChat(ctx, params.data.id, params.data.chatId)))
      return renderError(ctx.reply, 404, notFoundPage);
    return redirectWithFlash(ctx.reply, memberPath(params.data.id), chatUnlinked);
  },
});

export const chatUnlinked = text(
  "Akun chat dilepas: perintah staf dari chat itu tidak berlaku lagi.",
  "The chat account is unlinked: staff commands from that chat no longer work.",
);

export const staffPages: DashboardPage[] = [
  staffListPage,
  inviteStaffPage,
  staffMemberPage,
  changeRolePage,
  setActivePage,
  resetPasswordPage,
  createLinkCodePage,
  createTokenPage,
  revokeTokenPage,
  unlinkChatPage,
];
