import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CampaignSchema, type CampaignInput, type CampaignConfig } from "../../src/config/schema.js";
import { Ledger, type LedgerOptions } from "../../src/budget/ledger.js";
import { RunStore } from "../../src/store/run-store.js";
import { createGateway, type Gateway } from "../../src/llm/gateway.js";
import type { CompletionRequest } from "../../src/llm/types.js";

/** A recognisable fake key: tests assert it never shows up anywhere. */
export const FAKE_KEY = "sk-test-SECRET-0123456789abcdef";

export function campaign(models: CampaignInput["models"], roles: CampaignInput["roles"], extra: Partial<CampaignInput> = {}): CampaignConfig {
  return CampaignSchema.parse({ harness: "h.md", tasks: "t.yaml", strategy: { name: "one-pass" }, models, roles, ...extra });
}

/** One model `m` at `baseURL` bound to every role, quick to retry. */
export function oneModel(baseURL: string, model: Record<string, unknown> = {}, extra: Partial<CampaignInput> = {}): CampaignConfig {
  return campaign(
    { m: { model: "fake-1", baseURL, apiKeyEnv: "FAKE_KEY_VAR", price: { inputPerM: 1, outputPerM: 2 }, maxRetries: 3, timeoutMs: 2000, ...model } },
    { evolver: "m", user: "m", verifier: "m" },
    extra,
  );
}

export interface Rig {
  gateway: Gateway;
  store: RunStore;
  ledger: Ledger;
  dir: string;
  config: CampaignConfig;
}

const cleanups: (() => Promise<void>)[] = [];

export function rig(config: CampaignConfig, opts: { dir?: string; caps?: LedgerOptions; simBaseURL?: string; env?: Record<string, string> } = {}): Rig {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "he-gw-"));
  const store = RunStore.open(dir);
  const ledger = new Ledger(opts.caps ?? { total: {} });
  const gateway = createGateway({ config, store, ledger, simBaseURL: opts.simBaseURL, env: { FAKE_KEY_VAR: FAKE_KEY, ...opts.env } });
  cleanups.push(async () => {
    await gateway.close();
    store.close();
  });
  return { gateway, store, ledger, dir, config };
}

export async function cleanup(): Promise<void> {
  for (const c of cleanups.splice(0)) await c();
}

export function ask(content: string, over: Partial<CompletionRequest> = {}): CompletionRequest {
  return { role: "user", sampleKey: "island=0/gen=0/conv=0/turn=0", messages: [{ role: "system", content: "You are terse." }, { role: "user", content }], ...over };
}
