// Fixed secrets for tests only, shared by vitest.config.ts (Node) and the tests (workerd).
export const TEST_ADMIN_TOKEN = "test-admin-token";
export const TEST_ENCRYPTION_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
