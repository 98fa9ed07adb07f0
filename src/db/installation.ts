/**
 * This database's identity: one row made at the first start (or the first call after a restore
 * into a database that lacks it). See the Installation model in the Prisma schemas.
 */
import crypto from "node:crypto";
import type { Db } from "./database.js";

export type Installation = { installationId: string; secret: string };

/** The installation row, created if missing; every process and restart reads the same one. */
export async function loadInstallation(prisma: Db): Promise<Installation> {
  const found = await prisma.installation.findUnique({ where: { id: 1 } });
  if (found) return { installationId: found.installationId, secret: found.secret };
  // Two processes starting at once may both try: the primary key lets one win, and both read it.
  await prisma.installation
    .create({
      data: {
        id: 1,
        installationId: crypto.randomBytes(6).toString("base64url"),
        secret: crypto.randomBytes(32).toString("base64url"),
      },
    })
    .catch((err: unknown) => {
      if ((err as { code?: unknown } | null)?.code !== "P2002") throw err;
    });
  const row = await prisma.installation.findUniqueOrThrow({ where: { id: 1 } });
  return { installationId: row.installationId, secret: row.secret };
}
