-- CreateEnum
CREATE TYPE "WalkInStatus" AS ENUM ('pending', 'confirmed', 'rejected');

-- CreateEnum
CREATE TYPE "CampaignStatus" AS ENUM ('pending', 'offered', 'sent', 'skipped', 'cancelled');

-- AlterTable
ALTER TABLE "Programme" ADD COLUMN     "campaignEvents" JSONB,
ADD COLUMN     "certificateRequiresFeedback" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "certificateSignatory" TEXT,
ADD COLUMN     "certificateSignatoryTitle" TEXT,
ADD COLUMN     "followUpQuestions" JSONB;

-- AlterTable
ALTER TABLE "TrainingSession" ADD COLUMN     "checkInCode" TEXT;

-- AlterTable
ALTER TABLE "Enrollment" ADD COLUMN     "checkInMethod" TEXT,
ADD COLUMN     "checkedInAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "attachment" JSONB;

-- CreateTable
CREATE TABLE "WalkIn" (
    "id" SERIAL NOT NULL,
    "trainingSessionId" INTEGER NOT NULL,
    "participantId" INTEGER,
    "identityId" INTEGER,
    "status" "WalkInStatus" NOT NULL DEFAULT 'pending',
    "checkedInAt" TIMESTAMP(3) NOT NULL,
    "decidedAt" TIMESTAMP(3),
    "decidedById" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WalkIn_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CampaignMessage" (
    "id" SERIAL NOT NULL,
    "enrollmentId" INTEGER NOT NULL,
    "eventKey" TEXT NOT NULL,
    "flow" TEXT NOT NULL,
    "dueAt" TIMESTAMP(3) NOT NULL,
    "status" "CampaignStatus" NOT NULL DEFAULT 'pending',
    "sentAt" TIMESTAMP(3),
    "reason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CampaignMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FlowResult" (
    "id" SERIAL NOT NULL,
    "participantId" INTEGER,
    "flow" TEXT NOT NULL,
    "round" TEXT NOT NULL,
    "questionKey" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "numberValue" DOUBLE PRECISION,
    "enrollmentId" INTEGER,
    "trainingSessionId" INTEGER,
    "programmeId" INTEGER,
    "answeredAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "FlowResult_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Certificate" (
    "id" SERIAL NOT NULL,
    "number" TEXT NOT NULL,
    "enrollmentId" INTEGER,
    "participantId" INTEGER,
    "holderName" TEXT,
    "businessName" TEXT,
    "programmeId" INTEGER NOT NULL,
    "programmeTitle" TEXT NOT NULL,
    "sessionStartsAt" TIMESTAMP(3) NOT NULL,
    "sessionEndsAt" TIMESTAMP(3) NOT NULL,
    "timeZone" TEXT NOT NULL,
    "venue" TEXT NOT NULL,
    "regency" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "signatoryName" TEXT NOT NULL,
    "signatoryTitle" TEXT NOT NULL,
    "issuedAt" TIMESTAMP(3) NOT NULL,
    "revokedAt" TIMESTAMP(3),
    "revokedReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Certificate_pkey" PRIMARY KEY ("id")
);

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

-- AddForeignKey
ALTER TABLE "WalkIn" ADD CONSTRAINT "WalkIn_trainingSessionId_fkey" FOREIGN KEY ("trainingSessionId") REFERENCES "TrainingSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WalkIn" ADD CONSTRAINT "WalkIn_participantId_fkey" FOREIGN KEY ("participantId") REFERENCES "Participant"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CampaignMessage" ADD CONSTRAINT "CampaignMessage_enrollmentId_fkey" FOREIGN KEY ("enrollmentId") REFERENCES "Enrollment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FlowResult" ADD CONSTRAINT "FlowResult_participantId_fkey" FOREIGN KEY ("participantId") REFERENCES "Participant"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Certificate" ADD CONSTRAINT "Certificate_enrollmentId_fkey" FOREIGN KEY ("enrollmentId") REFERENCES "Enrollment"("id") ON DELETE SET NULL ON UPDATE CASCADE;

