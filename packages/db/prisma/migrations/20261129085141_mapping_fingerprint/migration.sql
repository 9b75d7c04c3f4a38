-- AlterTable
ALTER TABLE "message_mappings" ADD COLUMN     "fingerprint" TEXT;
