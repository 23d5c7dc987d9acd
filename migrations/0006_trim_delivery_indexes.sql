DROP INDEX `deliveries_site_state`;--> statement-breakpoint
DROP INDEX `deliveries_webhook_state`;--> statement-breakpoint
DROP INDEX `deliveries_due`;--> statement-breakpoint
CREATE INDEX `deliveries_open` ON `deliveries` (`state`,`webhook_id`,`seq`) WHERE state IN ('pending', 'held', 'retrying', 'failed');--> statement-breakpoint
CREATE INDEX `deliveries_site_rare_state` ON `deliveries` (`site_id`,`state`,`seq`) WHERE state IN ('held', 'retrying', 'failed', 'resolved');