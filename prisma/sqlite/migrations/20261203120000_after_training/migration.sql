-- AlterTable
ALTER TABLE "TrainingSession" ADD COLUMN "checkInCode" TEXT;

-- AlterTable
ALTER TABLE "Enrollment" ADD COLUMN "checkInMethod" TEXT;
ALTER TABLE "Enrollment" ADD COLUMN "checkedInAt" DATETIME;

-- AlterTable
ALTER TABLE "Message" ADD COLUMN "attachment" JSONB;

-- CreateTable
CREATE TABLE "WalkIn" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "trainingSessionId" INTEGER NOT NULL,
    "participantId" INTEGER,
    "identityId" INTEGER,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "checkedInAt" DATETIME NOT NULL,
    "decidedAt" DATETIME,
    "decidedById" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "WalkIn_trainingSessionId_fkey" FOREIGN KEY ("trainingSessionId") REFERENCES "TrainingSession" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "WalkIn_participantId_fkey" FOREIGN KEY ("participantId") REFERENCES "Participant" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "CampaignMessage" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "enrollmentId" INTEGER NOT NULL,
    "eventKey" TEXT NOT NULL,
    "flow" TEXT NOT NULL,
    "dueAt" DATETIME NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "sentAt" DATETIME,
    "reason" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "CampaignMessage_enrollmentId_fkey" FOREIGN KEY ("enrollmentId") REFERENCES "Enrollment" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "FlowResult" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "participantId" INTEGER,
    "flow" TEXT NOT NULL,
    "round" TEXT NOT NULL,
    "questionKey" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "numberValue" REAL,
    "enrollmentId" INTEGER,
    "trainingSessionId" INTEGER,
    "programmeId" INTEGER,
    "answeredAt" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "FlowResult_participantId_fkey" FOREIGN KEY ("participantId") REFERENCES "Participant" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Certificate" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "number" TEXT NOT NULL,
    "enrollmentId" INTEGER,
    "participantId" INTEGER,
    "holderName" TEXT,
    "businessName" TEXT,
    "programmeId" INTEGER NOT NULL,
    "programmeTitle" TEXT NOT NULL,
    "sessionStartsAt" DATETIME NOT NULL,
    "sessionEndsAt" DATETIME NOT NULL,
    "timeZone" TEXT NOT NULL,
    "venue" TEXT NOT NULL,
    "regency" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "signatoryName" TEXT NOT NULL,
    "signatoryTitle" TEXT NOT NULL,
    "issuedAt" DATETIME NOT NULL,
    "revokedAt" DATETIME,
    "revokedReason" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Certificate_enrollmentId_fkey" FOREIGN KEY ("enrollmentId") REFERENCES "Enrollment" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

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
    "campaignEvents" JSONB,
    "followUpQuestions" JSONB,
    "certificateSignatory" TEXT,
    "certificateSignatoryTitle" TEXT,
    "certificateRequiresFeedback" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_Programme" ("active", "createdAt", "descriptionEn", "descriptionId", "id", "regency", "reminderOffsets", "seatsPerParticipant", "sector", "slug", "timeZone", "titleEn", "titleId", "updatedAt") SELECT "active", "createdAt", "descriptionEn", "descriptionId", "id", "regency", "reminderOffsets", "seatsPerParticipant", "sector", "slug", "timeZone", "titleEn", "titleId", "updatedAt" FROM "Programme";
DROP TABLE "Programme";
ALTER TABLE "new_Programme" RENAME TO "Programme";
CREATE UNIQUE INDEX "Programme_slug_key" ON "Programme"("slug");
CREATE INDEX "Programme_sector_idx" ON "Programme"("sector");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "WalkIn_trainingSessionId_status_idx" ON "WalkIn"("trainingSessionId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "WalkIn_trainingSessionId_participantId_key" ON "WalkIn"("trainingSessionId", "participantId");

-- CreateIndex
CREATE INDEX "CampaignMessage_status_dueAt_idx" ON "CampaignMessage"("status", "dueAt");

-- CreateIndex
CREATE UNIQUE INDEX "CampaignMessage_enrollmentId_eventKey_key" ON "CampaignMessage"("enrollmentId", "eventKey");

-- CreateIndex
CREATE INDEX "FlowResult_participantId_flow_round_idx" ON "FlowResult"("participantId", "flow", "round");

-- CreateIndex
CREATE INDEX "FlowResult_programmeId_flow_questionKey_idx" ON "FlowResult"("programmeId", "flow", "questionKey");

-- CreateIndex
CREATE INDEX "FlowResult_trainingSessionId_flow_idx" ON "FlowResult"("trainingSessionId", "flow");

-- CreateIndex
CREATE UNIQUE INDEX "Certificate_number_key" ON "Certificate"("number");

-- CreateIndex
CREATE UNIQUE INDEX "Certificate_enrollmentId_key" ON "Certificate"("enrollmentId");

-- CreateIndex
CREATE INDEX "Certificate_programmeId_idx" ON "Certificate"("programmeId");

-- CreateIndex
CREATE UNIQUE INDEX "TrainingSession_checkInCode_key" ON "TrainingSession"("checkInCode");

