CREATE TABLE `batch_guards` (
	`guard` text NOT NULL,
	CONSTRAINT "webhooks_per_site" CHECK(guard <> 'webhooks_per_site')
);
