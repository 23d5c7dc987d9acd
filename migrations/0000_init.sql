CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`site_id` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`token_hash` text NOT NULL,
	`token_prefix` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_token_hash` ON `api_keys` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_site` ON `api_keys` (`site_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`delivery_id` text NOT NULL,
	`n` integer NOT NULL,
	`started_at` integer NOT NULL,
	`url` text NOT NULL,
	`request_headers` text NOT NULL,
	`response_status` integer,
	`response_body` text,
	`response_truncated` integer DEFAULT false NOT NULL,
	`error` text,
	`error_message` text,
	`prepared_ms` integer NOT NULL,
	`sent_at` integer NOT NULL,
	`response_at` integer,
	`total_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `attempts_delivery` ON `attempts` (`delivery_id`,`n`);--> statement-breakpoint
CREATE INDEX `attempts_started` ON `attempts` (`started_at`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`site_id` text NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`target_type` text NOT NULL,
	`target_id` text NOT NULL,
	`changes` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_site` ON `audit_log` (`site_id`,`id`);--> statement-breakpoint
CREATE TABLE `deliveries` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`site_id` text NOT NULL,
	`webhook_id` text NOT NULL,
	`webhook_name` text NOT NULL,
	`event_id` text NOT NULL,
	`event_type` text NOT NULL,
	`destination_host` text NOT NULL,
	`target_key` text NOT NULL,
	`include_detail` integer NOT NULL,
	`retry_delays` text NOT NULL,
	`state` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`lease_until` integer,
	`response_status` integer,
	`latency_ms` integer,
	`last_error` text,
	`order_key` integer,
	`replay_of` text,
	`actor_email` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`delivered_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deliveries_id` ON `deliveries` (`id`);--> statement-breakpoint
CREATE INDEX `deliveries_site` ON `deliveries` (`site_id`,`seq`);--> statement-breakpoint
CREATE INDEX `deliveries_site_state` ON `deliveries` (`site_id`,`state`,`seq`);--> statement-breakpoint
CREATE INDEX `deliveries_site_webhook` ON `deliveries` (`site_id`,`webhook_id`,`seq`);--> statement-breakpoint
CREATE INDEX `deliveries_site_type` ON `deliveries` (`site_id`,`event_type`,`seq`);--> statement-breakpoint
CREATE INDEX `deliveries_site_created` ON `deliveries` (`site_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `deliveries_site_event` ON `deliveries` (`site_id`,`event_id`);--> statement-breakpoint
CREATE INDEX `deliveries_webhook_state` ON `deliveries` (`webhook_id`,`state`,`seq`);--> statement-breakpoint
CREATE INDEX `deliveries_due` ON `deliveries` (`state`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `deliveries_state_updated` ON `deliveries` (`state`,`updated_at`);--> statement-breakpoint
CREATE INDEX `deliveries_created` ON `deliveries` (`created_at`);--> statement-breakpoint
CREATE TABLE `events` (
	`site_id` text NOT NULL,
	`id` text NOT NULL,
	`event_type` text NOT NULL,
	`body` text NOT NULL,
	`detail` text,
	`actor_email` text,
	`target_key` text NOT NULL,
	`deliveries` integer NOT NULL,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`site_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `events_received` ON `events` (`received_at`);--> statement-breakpoint
CREATE TABLE `exports` (
	`id` text PRIMARY KEY NOT NULL,
	`site_id` text NOT NULL,
	`filter` text NOT NULL,
	`format` text NOT NULL,
	`status` text NOT NULL,
	`object_key` text,
	`rows` integer,
	`bytes` integer,
	`error` text,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`completed_at` integer,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `exports_site` ON `exports` (`site_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `exports_expires` ON `exports` (`status`,`expires_at`);--> statement-breakpoint
CREATE TABLE `sites` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`host` text NOT NULL,
	`name` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sites_slug` ON `sites` (`slug`);--> statement-breakpoint
CREATE TABLE `webhooks` (
	`id` text PRIMARY KEY NOT NULL,
	`site_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`url` text NOT NULL,
	`destination_host` text NOT NULL,
	`status` text NOT NULL,
	`events` text DEFAULT '[]' NOT NULL,
	`include_detail` integer DEFAULT false NOT NULL,
	`timeout_ms` integer DEFAULT 10000 NOT NULL,
	`retry_policy` text NOT NULL,
	`failure_mode` text DEFAULT 'continue' NOT NULL,
	`header_names` text DEFAULT '[]' NOT NULL,
	`headers_enc` text,
	`secrets_enc` text,
	`secret_rotated_at` integer,
	`previous_expires_at` integer,
	`alert` text,
	`last_delivery_at` integer,
	`last_delivery_state` text,
	`last_delivery_status` integer,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE INDEX `webhooks_site` ON `webhooks` (`site_id`,`deleted_at`,`created_at`);--> statement-breakpoint
CREATE INDEX `webhooks_site_last_delivery` ON `webhooks` (`site_id`,`deleted_at`,`last_delivery_at`);