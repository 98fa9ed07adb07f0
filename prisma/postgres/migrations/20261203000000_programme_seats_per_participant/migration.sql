-- AlterTable
ALTER TABLE "Programme" ADD COLUMN     "seatsPerParticipant" INTEGER NOT NULL DEFAULT 1;
