-- AlterTable
ALTER TABLE "Staff" ADD COLUMN "mustChangePassword" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Staff" ADD COLUMN "passwordChangedAt" DATETIME;
