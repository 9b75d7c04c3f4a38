-- AlterEnum
ALTER TYPE "AttemptOutcome" ADD VALUE 'DEFERRED';

-- AlterTable
ALTER TABLE "instances" ADD COLUMN     "lanesNextSendAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "lane_items" ADD COLUMN     "deferrals" INTEGER NOT NULL DEFAULT 0;
