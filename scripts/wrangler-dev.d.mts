import type { ChildProcess } from "node:child_process";
export declare const ROOT: string;
export declare function freePort(): Promise<number>;
export declare const LOCAL_ENCRYPTION_KEY: string;
export declare function localRunVars(adminToken: string, vars?: Record<string, string>): Record<string, string>;
export declare function applyMigrations(opts?: { persistTo?: string; config?: string }): string;
export interface WranglerDev {
  port: number;
  baseUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
  kill(): Promise<void>;
}
export declare function startWranglerDev(opts?: {
  port?: number;
  persistTo?: string;
  vars?: Record<string, string>;
  logFile?: string;
  config?: string;
  healthPath?: string;
  timeoutMs?: number;
  extraArgs?: string[];
}): Promise<WranglerDev>;
