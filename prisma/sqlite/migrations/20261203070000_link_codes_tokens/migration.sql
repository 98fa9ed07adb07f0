-- CreateTable
CREATE TABLE "StaffLinkAttemptWindow" (
    "hour" TEXT NOT NULL PRIMARY KEY,
    "attempts" INTEGER NOT NULL DEFAULT 0
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_StaffLinkCode" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "staffId" INTEGER NOT NULL,
    "codeHash" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "failedAttempts" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "StaffLinkCode_staffId_fkey" FOREIGN KEY ("staffId") REFERENCES "Staff" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_StaffLinkCode" ("codeHash", "createdAt", "expiresAt", "id", "staffId", "usedAt") SELECT "codeHash", "createdAt", "expiresAt", "id", "staffId", "usedAt" FROM "StaffLinkCode";
DROP TABLE "StaffLinkCode";
ALTER TABLE "new_StaffLinkCode" RENAME TO "StaffLinkCode";
CREATE UNIQUE INDEX "StaffLinkCode_codeHash_key" ON "StaffLinkCode"("codeHash");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;


-- A deactivated account keeps nothing that would work again if it were reactivated: its API
-- tokens are revoked, its chat accounts unlinked and its unused link codes gone.
UPDATE "ApiToken" SET "revokedAt" = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')
  WHERE "revokedAt" IS NULL AND "staffId" IN (SELECT "id" FROM "Staff" WHERE "active" = false);
DELETE FROM "StaffIdentity" WHERE "staffId" IN (SELECT "id" FROM "Staff" WHERE "active" = false);
DELETE FROM "StaffLinkCode" WHERE "usedAt" IS NULL AND "staffId" IN (SELECT "id" FROM "Staff" WHERE "active" = false);

-- Chat accounts of the web chat are never staff any more (only Telegram and WhatsApp link).
DELETE FROM "StaffIdentity" WHERE "channel" NOT IN ('telegram', 'whatsapp');
