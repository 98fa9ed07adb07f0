-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Programme" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "slug" TEXT NOT NULL,
    "sector" TEXT NOT NULL,
    "regency" TEXT,
    "titleId" TEXT NOT NULL,
    "titleEn" TEXT NOT NULL,
    "descriptionId" TEXT NOT NULL,
    "descriptionEn" TEXT NOT NULL,
    "timeZone" TEXT NOT NULL DEFAULT 'Asia/Jakarta',
    "reminderOffsets" JSONB NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "seatsPerParticipant" INTEGER NOT NULL DEFAULT 1,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_Programme" ("active", "createdAt", "descriptionEn", "descriptionId", "id", "regency", "reminderOffsets", "sector", "slug", "timeZone", "titleEn", "titleId", "updatedAt") SELECT "active", "createdAt", "descriptionEn", "descriptionId", "id", "regency", "reminderOffsets", "sector", "slug", "timeZone", "titleEn", "titleId", "updatedAt" FROM "Programme";
DROP TABLE "Programme";
ALTER TABLE "new_Programme" RENAME TO "Programme";
CREATE UNIQUE INDEX "Programme_slug_key" ON "Programme"("slug");
CREATE INDEX "Programme_sector_idx" ON "Programme"("sector");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

