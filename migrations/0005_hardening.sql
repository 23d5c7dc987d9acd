CREATE TABLE `batch_guards` (
	`guard` text NOT NULL,
	CONSTRAINT "webhooks_per_site" CHECK(guard <> 'webhooks_per_site')
);
--> statement-breakpoint
CREATE TABLE `key_rotation` (
	`name` text PRIMARY KEY NOT NULL,
	`key_id` text NOT NULL,
	`after_id` text DEFAULT '' NOT NULL,
	`rewritten` integer DEFAULT 0 NOT NULL,
	`unreadable` integer DEFAULT 0 NOT NULL,
	`started_at` integer NOT NULL,
	`completed_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `audit_log` ADD `actor_kind` text DEFAULT 'unknown' NOT NULL;--> statement-breakpoint
ALTER TABLE `audit_log` ADD `actor_id` text;--> statement-breakpoint
-- data migration (hand-written)
-- Audit entries written before actors were recorded by kind and id name their actor by a name alone, and a key could
-- be named "root" or "system". Each is given the kind and id it can be proven to have, and no more: a name that
-- exactly one key of the site had when the entry was written is that key; "root" and "system" are root and system
-- unless the site then had a key of that name; anything else stays "unknown" (its id null), never guessed.
UPDATE `audit_log` SET `actor_kind` = 'key', `actor_id` = (
  SELECT k.`id` FROM `api_keys` k
  WHERE k.`site_id` = `audit_log`.`site_id` AND k.`name` = `audit_log`.`actor` AND k.`created_at` <= `audit_log`.`created_at`)
WHERE `actor_kind` = 'unknown' AND `actor` NOT IN ('root', 'system') AND (
  SELECT COUNT(*) FROM `api_keys` k
  WHERE k.`site_id` = `audit_log`.`site_id` AND k.`name` = `audit_log`.`actor` AND k.`created_at` <= `audit_log`.`created_at`) = 1;--> statement-breakpoint
UPDATE `audit_log` SET `actor_kind` = `actor`, `actor_id` = `actor`
WHERE `actor_kind` = 'unknown' AND `actor` IN ('root', 'system') AND NOT EXISTS (
  SELECT 1 FROM `api_keys` k
  WHERE k.`site_id` = `audit_log`.`site_id` AND k.`name` = `audit_log`.`actor` AND k.`created_at` <= `audit_log`.`created_at`);
-- Secrets and header values written before this version (base64(iv || ciphertext) under the raw ENCRYPTION_KEY,
-- bound to nothing) need no SQL: they are still read as they are, and the cron's re-encryption pass re-seals them
-- under their own subkeys, bound to their webhook and column, with the key version (GET /v1/key-rotation).
