-- AlterTable
ALTER TABLE "StaffLinkCode" ADD COLUMN     "failedAttempts" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "StaffLinkAttemptWindow" (
    "hour" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "StaffLinkAttemptWindow_pkey" PRIMARY KEY ("hour")
);


-- A deactivated account keeps nothing that would work again if it were reactivated: its API
-- tokens are revoked, its chat accounts unlinked and its unused link codes gone.
UPDATE "ApiToken" SET "revokedAt" = CURRENT_TIMESTAMP
  WHERE "revokedAt" IS NULL AND "staffId" IN (SELECT "id" FROM "Staff" WHERE "active" = false);
DELETE FROM "StaffIdentity" WHERE "staffId" IN (SELECT "id" FROM "Staff" WHERE "active" = false);
DELETE FROM "StaffLinkCode" WHERE "usedAt" IS NULL AND "staffId" IN (SELECT "id" FROM "Staff" WHERE "active" = false);

-- Chat accounts of the web chat are never staff any more (only Telegram and WhatsApp link).
DELETE FROM "StaffIdentity" WHERE "channel" NOT IN ('telegram', 'whatsapp');
