/**
 * One staff account's page, shared by Staf (an admin's view of anyone, staff.ts) and Akses saya
 * (one's own, staff-access.ts): the account with its linked chats and API tokens, and the page
 * that shows a new secret once.
 */
import { z } from "zod";
import { databaseId } from "../../../db/ids.js";
import { linkCodeValidityMinutes } from "../../../domain/staff.js";
import { bilingual } from "../forms.js";
import type { PageContext } from "../page.js";
import { render } from "../render.js";

/** Staf: the list of accounts. */
export const listPath = "/dashboard/staf";
/** "Akses saya": every staff member's own chats, link codes and API tokens (staff-access.ts). */
export const ownPath = "/dashboard/akses-saya";
export const memberPath = (id: number) => `${listPath}/${id}`;
/** An API token's name, as both pages ask for it. */
export const tokenSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, bilingual("Beri nama agar token mudah dikenali nanti.", "Give it a name to recognise it later."))
    .max(100),
});

const idParams = z.object({ id: databaseId });

export const channelNames: Record<string, string> = { telegram: "Telegram", whatsapp: "WhatsApp", web: "Web" };

/**
 * A chat account's platform id as the page shows it: the last four characters, enough to tell
 * one's own accounts apart, without a whole phone number ("6281234567890@c.us": "••••••7890").
 */
export function maskPlatformId(platformUserId: string): string {
  const bare = platformUserId.split("@")[0]!;
  if (bare.length <= 4) return "•".repeat(bare.length);
  return "•".repeat(Math.min(bare.length - 4, 6)) + bare.slice(-4);
}

/** The staff member of the `:id` in the path, with what the detail page shows; null when there is none. */
export async function loadMember(ctx: PageContext) {
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

export type Member = NonNullable<Awaited<ReturnType<typeof loadMember>>>;

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
