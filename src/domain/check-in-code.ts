/**
 * A training session's check-in code, the six characters on its poster ("HADIR K7M2QX"): made
 * the first time it is needed (the roster page, the poster), then kept.
 */
import crypto from "node:crypto";
import type { Db } from "../db/database.js";
import { checkInCodeAlphabet, checkInCodeLength, isCheckInCodeShape } from "../../flows/checkin.js";

/** A random code from the unambiguous alphabet, with at least one letter and one digit. */
export function generateCheckInCode(randomInt: (max: number) => number = crypto.randomInt): string {
  for (;;) {
    let code = "";
    for (let i = 0; i < checkInCodeLength; i++) code += checkInCodeAlphabet[randomInt(checkInCodeAlphabet.length)];
    if (isCheckInCodeShape(code)) return code;
  }
}

const isUniqueViolation = (err: unknown) => (err as { code?: unknown } | null)?.code === "P2002";

/**
 * The session's check-in code, made now if it has none; null when there is no such session.
 * Codes are unique: a code another session holds already is drawn again.
 */
export async function ensureCheckInCode(
  prisma: Db,
  trainingSessionId: number,
  generate: () => string = () => generateCheckInCode(),
): Promise<string | null> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const session = await prisma.trainingSession.findUnique({
      where: { id: trainingSessionId },
      select: { checkInCode: true },
    });
    if (!session) return null;
    if (session.checkInCode) return session.checkInCode;
    try {
      // Only while it still has none: two staff opening the roster at once get the same code.
      await prisma.trainingSession.updateMany({
        where: { id: trainingSessionId, checkInCode: null },
        data: { checkInCode: generate() },
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  throw new Error(`no free check-in code found for training session ${trainingSessionId}`);
}
