CREATE TABLE `event_types` (
	`site_id` text NOT NULL,
	`type` text NOT NULL,
	`description` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`site_id`, `type`)
);
--> statement-breakpoint
ALTER TABLE `deliveries` ADD `retry_on` text DEFAULT 'any' NOT NULL;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `format` text DEFAULT 'sgen' NOT NULL;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `format` text DEFAULT 'sgen' NOT NULL;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `retry_on` text DEFAULT 'any' NOT NULL;--> statement-breakpoint
-- data migration (hand-written)
-- The catalog is now exactly the seeds' 26 types. A type some live webhook subscribes to that left the catalog
-- becomes that site's own type (family Custom, with its old description), so the subscription keeps working
-- and producers may go on sending it. Nothing is dropped silently: each one gets an audit entry.
INSERT OR IGNORE INTO `event_types` (`site_id`, `type`, `description`, `created_by`, `created_at`)
SELECT DISTINCT w.site_id, j.value,
       CASE j.value
         WHEN 'post.created' THEN 'A post was created (as a draft).'
         WHEN 'post.unpublished' THEN 'A live post was taken offline.'
         WHEN 'post.scheduled' THEN 'A post was scheduled to publish later.'
         WHEN 'media.uploaded' THEN 'A file was added to the media library.'
         WHEN 'media.deleted' THEN 'A file was removed from the media library.'
         WHEN 'comment.created' THEN 'A visitor left a comment.'
         WHEN 'user.updated' THEN 'A user''s profile or role changed.'
         WHEN 'user.deleted' THEN 'A user account was deleted.'
         WHEN 'member.subscribed' THEN 'A visitor subscribed to the site.'
         WHEN 'site.published' THEN 'The whole site was published (a deploy).'
         WHEN 'site.settings_updated' THEN 'Site-wide settings changed (domain, theme, SEO).'
         ELSE 'Kept from an earlier event catalog.'
       END,
       'system', CAST(strftime('%s', 'now') AS INTEGER) * 1000
FROM `webhooks` w, json_each(w.events) j
WHERE w.deleted_at IS NULL AND j.value NOT IN (
  'page.created', 'page.updated', 'page.published', 'page.unpublished', 'page.deleted',
  'post.published', 'post.updated', 'post.deleted', 'template.updated', 'order.created',
  'order.paid', 'order.refunded', 'product.updated', 'product.out_of_stock', 'user.created',
  'user.deactivated', 'user.role_changed', 'user.first_sign_in', 'form.submitted', 'form.fields_changed',
  'site.entered_maintenance', 'site.left_maintenance', 'site.settings_changed', 'backup.completed', 'backup.failed',
  'restore.completed'
);--> statement-breakpoint
INSERT INTO `audit_log` (`site_id`, `actor`, `action`, `target_type`, `target_id`, `changes`, `created_at`)
SELECT site_id, 'system', 'event_type.created', 'event_type', type,
       json_object('description', description, 'reason', 'subscribed to, and no longer in the catalog'), created_at
FROM `event_types`;
