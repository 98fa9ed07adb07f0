/**
 * Akses saya (My access, every staff member): their own linked chat accounts (channel, masked
 * platform id, linked when), removing one, a chat link code for themselves, and their own API
 * tokens (make, revoke). A link code or a token acts as its owner, so it is made here by the
 * owner only; admins see and remove anyone's chats and revoke anyone's tokens on the staff pages.
 */
import { z } from "zod";
import { databaseId } from "../../../db/ids.js";
import { audit, createApiToken, createLinkCode, revokeApiToken } from "../../../domain/staff.js";
import { notFoundPage, renderError } from "../errors.js";
import { parseForm } from "../forms.js";
import { definePage, type DashboardPage, type PageContext } from "../page.js";
import { redirectWithFlash } from "../render.js";
import { text } from "../text.js";
import { chatUnlinked, unlinkChat } from "./staff-chats-tokens.js";
import { loadAccount, ownPath, renderMember, renderSecret, tokenSchema } from "./staff-member.js";

/** The signed-in staff member's own account; they exist, since the sign-in re-reads them on every request. */
async function ownAccount(ctx: PageContext) {
  const account = await loadAccount(ctx, ctx.staff.id);
  if (!account) throw new Error(`The signed-in staff member ${ctx.staff.id} has no account row`);
  return account;
}

export const ownAccessPage = definePage({
  path: ownPath,
  nav: { id: "Akses saya", en: "My access", order: 85 },
  handler: async (ctx) => renderMember(ctx, await ownAccount(ctx), {}, true),
});

export const ownLinkCodePage = definePage({
  method: "POST",
  path: `${ownPath}/kode-tautan`,
  async handler(ctx) {
    const member = await ownAccount(ctx);
    const prisma = ctx.deps.database.prisma;
    const { code, expiresAt } = await createLinkCode(prisma, member.id);
    await audit(prisma, member.id, "staff.link_code", `staff:${member.id}`, { via: "dashboard" });
    return renderSecret(ctx, { kind: "link-code", secret: code, member, expiresAt, back: ownPath });
  },
});

export const ownTokenPage = definePage({
  method: "POST",
  path: `${ownPath}/token`,
  async handler(ctx) {
    const member = await ownAccount(ctx);
    const form = parseForm(tokenSchema, ctx.request.body);
    if (!form.ok) return renderMember(ctx, member, { errors: form.errors, values: form.values }, true);
    const prisma = ctx.deps.database.prisma;
    const { id, token } = await createApiToken(prisma, member.id, form.data.name);
    await audit(prisma, member.id, "api_token.create", `apiToken:${id}`, {
      staffId: member.id,
      name: form.data.name,
      via: "dashboard",
    });
    return renderSecret(ctx, { kind: "api-token", secret: token, member, back: ownPath });
  },
});

export const ownRevokeTokenPage = definePage({
  method: "POST",
  path: `${ownPath}/token/:tokenId/cabut`,
  async handler(ctx) {
    const params = z.object({ tokenId: databaseId }).safeParse(ctx.request.params);
    if (!params.success) return renderError(ctx.reply, 404, notFoundPage);
    const prisma = ctx.deps.database.prisma;
    const token = await prisma.apiToken.findFirst({ where: { id: params.data.tokenId, staffId: ctx.staff.id } });
    if (!token) return renderError(ctx.reply, 404, notFoundPage);
    if (await revokeApiToken(prisma, token.id))
      await audit(prisma, ctx.staff.id, "api_token.revoke", `apiToken:${token.id}`, {
        staffId: token.staffId,
        name: token.name,
      });
    return redirectWithFlash(
      ctx.reply,
      ownPath,
      text(
        `Token "${token.name}" dicabut dan tidak berlaku lagi.`,
        `The token "${token.name}" is revoked and no longer works.`,
      ),
    );
  },
});

export const ownUnlinkChatPage = definePage({
  method: "POST",
  path: `${ownPath}/chat/:chatId/lepas`,
  async handler(ctx) {
    const params = z.object({ chatId: databaseId }).safeParse(ctx.request.params);
    if (!params.success || !(await unlinkChat(ctx, ctx.staff.id, params.data.chatId)))
      return renderError(ctx.reply, 404, notFoundPage);
    return redirectWithFlash(ctx.reply, ownPath, chatUnlinked);
  },
});

export const staffAccessPages: DashboardPage[] = [
  ownAccessPage,
  ownLinkCodePage,
  ownTokenPage,
  ownRevokeTokenPage,
  ownUnlinkChatPage,
];
