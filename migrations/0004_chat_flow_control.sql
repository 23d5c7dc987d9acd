CREATE TABLE `event_outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`site_id` text NOT NULL,
	`event_type` text NOT NULL,
	`about_webhook_id` text NOT NULL,
	`target` text NOT NULL,
	`detail` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `attempts` ADD `throttle_ms` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `message_template` text;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `throttles` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `throttled_ms` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `message_template` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `rate_limit_per_s` real;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `auto_pause` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `failing_since` integer;