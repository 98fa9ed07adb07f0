-- AlterTable
ALTER TABLE "OutboxItem" ADD COLUMN "timeZone" TEXT;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_MotivationDelivery" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "participantId" INTEGER NOT NULL,
    "slug" TEXT NOT NULL,
    "round" TEXT NOT NULL,
    "messageId" INTEGER,
    "sentAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "MotivationDelivery_participantId_fkey" FOREIGN KEY ("participantId") REFERENCES "Participant" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
-- Deliveries made before rounds existed get a round of their own.
INSERT INTO "new_MotivationDelivery" ("id", "messageId", "participantId", "sentAt", "slug", "round") SELECT "id", "messageId", "participantId", "sentAt", "slug", 'before-rounds-' || "id" FROM "MotivationDelivery";
DROP TABLE "MotivationDelivery";
ALTER TABLE "new_MotivationDelivery" RENAME TO "MotivationDelivery";
CREATE INDEX "MotivationDelivery_participantId_slug_idx" ON "MotivationDelivery"("participantId", "slug");
CREATE UNIQUE INDEX "MotivationDelivery_participantId_round_key" ON "MotivationDelivery"("participantId", "round");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

