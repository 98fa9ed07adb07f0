/**
 * A staff member's chats and API tokens, from Staf (admins): link codes and tokens are made by
 * their owner only (see staff.ts for why), while an admin may revoke anyone's token and unlink
 * anyone's chat. Secrets are shown once and never stored or logged; every change is audited.
 */
import { z } from "zod";
import { databaseId } from "../../../db/ids.js";
import { audit, createApiToken, createLinkCode, revokeApiToken } from "../../../domain/staff.js";
import { notFoundPage, renderError } from "../errors.js";
import { parseForm } from "../forms.js";
import { definePage, type PageContext } from "../page.js";
import { redirectWithFlash } from "../render.js";
import { text } from "../text.js";
import { listPath, loadMember, memberPath, renderMember, renderSecret, tokenSchema } from "./staff-member.js";

const tokenParams = z.object({ id: databaseId, tokenId: databaseId });
const chatParams = z.object({ id: databaseId, chatId: databaseId });
/** Said when an admin asks for a link code or an API token of someone else's account. */
const ownerOnly = text(
  "Kode tautan dan token API hanya dapat dibuat oleh pemilik akun sendiri, di halaman Akses saya.",
  "Link codes and API tokens can be made only by the account's owner, on their My access page.",
);

/** Codes and tokens are made for active accounts only. */
const inactiveAccount = text(
  "Akun ini tidak aktif; aktifkan dulu.",
  "This account is not active; reactivate it first.",
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
    if (!member.active) return redirectWithFlash(reply, memberPath(member.id), inactiveAccount, "error");
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
    if (!member.active) return redirectWithFlash(reply, memberPath(member.id), inactiveAccount, "error");
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
