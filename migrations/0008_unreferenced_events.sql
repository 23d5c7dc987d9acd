-- Retention learns whether any delivery still refers to an event from events.live, not from an index of deliveries
-- by event: an ingest delivery no longer pays for that index entry, nor an event for one by received_at (only an
-- event nothing refers to is in events_unreferenced). A trigger counts every delivery inserted while its event is
-- there, whatever the path (replay, test event); retention lowers the count when it removes deliveries.
-- Nullable, with no default: an event written by the previous version between this migration and the deploy has
-- no count, and retention never removes it (it stays, rather than go while a delivery may still need it).
ALTER TABLE `events` ADD `live` integer;--> statement-breakpoint
UPDATE `events` SET `live` = (SELECT COUNT(*) FROM `deliveries` d WHERE d.`site_id` = `events`.`site_id` AND d.`event_id` = `events`.`id`);--> statement-breakpoint
CREATE TRIGGER `events_live_on_delivery_insert` AFTER INSERT ON `deliveries` BEGIN
  UPDATE `events` SET `live` = `live` + 1 WHERE `site_id` = NEW.`site_id` AND `id` = NEW.`event_id`;
END;--> statement-breakpoint
CREATE INDEX `events_unreferenced` ON `events` (`received_at`) WHERE live = 0;--> statement-breakpoint
DROP INDEX `deliveries_site_event`;--> statement-breakpoint
DROP INDEX `events_received`;
