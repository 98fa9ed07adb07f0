/**
 * Akun saya (My account), for every signed-in staff member: who they are, and changing their
 * own password (the current one, then the new one twice). Someone signed in with a temporary
 * password (an admin's invitation) is sent here from every other page until they change it
 * (index.ts). A change is audited, ends the account's other sessions (index.ts compares
 * Staff.passwordChangedAt with the time each session last proved the password) and gives this
 * browser a new session id. A few wrong current passwords in a row end the session, so a
 * borrowed or stolen session cannot be used to guess the password.
 */
import { z } from "zod";
import { audit, hashPassword, passwordMaxLength, passwordMinLength, verifyPassword } from "../../../domain/staff.js";
import { bilingual, parseForm, type FieldErrors } from "../forms.js";
import { definePage, type DashboardPage, type PageContext } from "../page.js";
import { redirectWithFlash, render } from "../render.js";
import { maxFailedLogins } from "../sign-in.js";
import { text } from "../text.js";

export const accountPath = "/dashboard/akun";
export const passwordPath = `${accountPath}/kata-sandi`;
/** The routes a temporary password still opens. */
export const accountRoutes = [accountPath, passwordPath] as const;

const passwordSchema = z
  .object({
    current: z
      .string()
      .min(1, bilingual("Silakan isi kata sandi Anda sekarang.", "Please enter your current password."))
      .max(passwordMaxLength),
    password: z
      .string()
      .min(
        passwordMinLength,
        bilingual(
          `Kata sandi baru paling sedikit ${passwordMinLength} karakter.`,
          `The new password needs at least ${passwordMinLength} characters.`,
        ),
      )
      .max(
        passwordMaxLength,
        bilingual(
          `Kata sandi baru paling banyak ${passwordMaxLength} karakter.`,
          `The new password can have at most ${passwordMaxLength} characters.`,
        ),
      ),
    repeat: z.string().max(passwordMaxLength),
  })
  .refine((form) => form.password === form.repeat, {
    path: ["repeat"],
    message: bilingual("Kedua kata sandi baru tidak sama.", "The two new passwords differ."),
  })
  .refine((form) => form.password !== form.current, {
    path: ["password"],
    message: bilingual(
      "Kata sandi baru harus berbeda dari yang sekarang.",
      "The new password must differ from the current one.",
    ),
  });

async function renderAccount(ctx: PageContext, errors?: FieldErrors) {
  const me = await ctx.deps.database.prisma.staff.findUniqueOrThrow({
    where: { id: ctx.staff.id },
    select: { lastLoginAt: true, passwordChangedAt: true, mustChangePassword: true },
  });
  return render(
    ctx.reply,
    "account",
    {
      title: ctx.t("Akun saya", "My account"),
      account: me,
      minLength: passwordMinLength,
      ...(errors ? { errors } : {}),
    },
    { status: errors ? 400 : 200 },
  );
}

export const accountPage = definePage({ path: accountPath, handler: (ctx) => renderAccount(ctx) });

export const changePasswordPage = definePage({
  method: "POST",
  path: passwordPath,
  async handler(ctx) {
    const { request, reply, deps, staff } = ctx;
    const prisma = deps.database.prisma;
    const form = parseForm(passwordSchema, request.body);
    if (!form.ok) return renderAccount(ctx, form.errors);
    const { passwordHash } = await prisma.staff.findUniqueOrThrow({
      where: { id: staff.id },
      select: { passwordHash: true },
    });
    if (!(await verifyPassword(form.data.current, passwordHash))) {
      const wrong = (request.session.wrongPasswords ?? 0) + 1;
      await audit(prisma, staff.id, "staff.password_change_refused", `staff:${staff.id}`, {
        reason: "wrong_current_password",
        wrongInThisSession: wrong,
        ip: request.ip,
      });
      if (wrong >= maxFailedLogins) {
        await request.session.regenerate();
        return redirectWithFlash(
          reply,
          "/masuk",
          text(
            `Sesi Anda diakhiri setelah ${wrong} kali salah memasukkan kata sandi sekarang. Silakan masuk lagi.`,
            `Your session was ended after ${wrong} wrong current passwords. Please sign in again.`,
          ),
          "error",
        );
      }
      request.session.wrongPasswords = wrong;
      return renderAccount(ctx, {
        current: text("Kata sandi Anda sekarang salah.", "Your current password is wrong."),
      });
    }
    const now = new Date();
    await prisma.staff.update({
      where: { id: staff.id },
      data: {
        passwordHash: await hashPassword(form.data.password),
        mustChangePassword: false,
        passwordChangedAt: now,
      },
    });
    await audit(prisma, staff.id, "staff.password_changed", `staff:${staff.id}`, { ip: request.ip });
    // A new id for this browser's session, which stays signed in (its 12 hours still count from
    // signing in); every other session of the account signed in before `now` and ends.
    const { signedInAt } = request.session;
    // Without keys, regenerate() keeps nothing of the old session (flash, wrongPasswords...).
    await request.session.regenerate();
    request.session.staffId = staff.id;
    request.session.signedInAt = signedInAt;
    request.session.authenticatedAt = now.getTime();
    return redirectWithFlash(
      reply,
      accountPath,
      text(
        "Kata sandi Anda sudah diganti. Sesi lain akun ini (di perangkat lain) sudah diakhiri.",
        "Your password has been changed. This account's other sessions (on other devices) have ended.",
      ),
    );
  },
});

export const accountPages: DashboardPage[] = [accountPage, changePasswordPage];
