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
import {
  audit,
  createStaff,
  hashPassword,
  normalizeEmail,
  revokeStaffAccess,
  type StaffRole,
} from "../../../domain/staff.js";
import { notFoundPage, renderError } from "../errors.js";
import { parseForm, type FieldErrors } from "../forms.js";
import { definePage, type DashboardPage, type PageContext } from "../page.js";
import { redirectWithFlash, render } from "../render.js";
import { text } from "../text.js";
import { createLinkCodePage, createTokenPage, revokeTokenPage, unlinkChatPage } from "./staff-chats-tokens.js";
import {
  channelNames,
  listPath,
  loadMember,
  memberPath,
  renderMember,
  renderSecret,
  type Member,
} from "./staff-member.js";

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
