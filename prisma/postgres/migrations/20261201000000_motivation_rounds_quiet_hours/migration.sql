-- AlterTable
ALTER TABLE "OutboxItem" ADD COLUMN     "timeZone" TEXT;

-- AlterTable (deliveries made before rounds existed get a round of their own)
ALTER TABLE "MotivationDelivery" ADD COLUMN     "round" TEXT;
UPDATE "MotivationDelivery" SET "round" = 'before-rounds-' || "id";
ALTER TABLE "MotivationDelivery" ALTER COLUMN "round" SET NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "MotivationDelivery_participantId_round_key" ON "MotivationDelivery"("participantId", "round");

