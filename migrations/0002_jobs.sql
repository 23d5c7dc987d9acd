CREATE TABLE `bulk_replays` (
	`id` text PRIMARY KEY NOT NULL,
	`site_id` text NOT NULL,
	`filter` text NOT NULL,
	`status` text NOT NULL,
	`after_seq` integer DEFAULT 0 NOT NULL,
	`max_seq` integer NOT NULL,
	`matched` integer NOT NULL,
	`replayed` integer DEFAULT 0 NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`completed_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `bulk_replays_running` ON `bulk_replays` (`site_id`) WHERE status = 'running';--> statement-breakpoint
CREATE INDEX `bulk_replays_site` ON `bulk_replays` (`site_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `exports` ADD `upload_id` text;--> statement-breakpoint
ALTER TABLE `exports` ADD `parts` text;--> statement-breakpoint
ALTER TABLE `exports` ADD `after_seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `exports` ADD `carry` text;--> statement-breakpoint
ALTER TABLE `exports` ADD `lease_until` integer;--> statement-breakpoint
ALTER TABLE `exports` ADD `updated_at` integer;