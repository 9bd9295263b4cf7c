import cliProgress from "cli-progress";
import type { RunEvent } from "../search/context.js";

export interface Display {
  onEvent(event: RunEvent): void;
  stop(): void;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** ", 12 replies cut at the cap, 3 empty": only what happened. */
function repliesNote(r: Extract<RunEvent, { type: "generation" }>["replies"]): string {
  if (!r) return "";
  const parts = [r.truncated ? `${r.truncated} replies cut at the cap` : "", r.empty ? `${r.empty} empty replies` : "", r.refused ? `${r.refused} refusals` : "", r.promptCut ? `${r.promptCut} prompts cut by the server` : ""].filter(Boolean);
  return parts.length ? `, ${parts.join(", ")}` : "";
}

/** Plain lines, one per event: for logs, CI and pipes. */
export function plainDisplay(write: (line: string) => void = (l) => process.stderr.write(l + "\n")): Display {
  return {
    onEvent(e) {
      switch (e.type) {
        case "seed":
          write(`seed harness: train ${pct(e.train)}  val ${pct(e.val)}`);
          break;
        case "generation":
          write(
            `generation ${e.generation + 1}/${e.generations}: ${e.children} new, ${e.rejected} duplicates, ${e.failed} failed${repliesNote(e.replies)}, $${e.spend.usd.toFixed(4)} charged | ` +
              e.islands.map((i) => `island ${i.id} (${i.preset}) best ${pct(i.bestScore)} mean ${pct(i.meanScore)} div ${i.diversity.toFixed(2)}`).join(" | "),
          );
          break;
        case "migration":
          break;
        case "reset":
          if (e.islands.length) write(`  reset islands ${e.islands.join(", ")} from the global elite`);
          break;
        case "finalist":
          write(e.skipped ? `finalist ${e.id}: skipped (${e.skipped})` : `finalist ${e.id}: train ${pct(e.train)} val ${pct(e.val ?? 0)}`);
          break;
        case "status":
          write(`status: ${e.status}${e.reason ? ` (${e.reason})` : ""}`);
          break;
      }
    },
    stop() {},
  };
}

/** A live block on a terminal: a budget bar, one line per island, spend by role. */
export function liveDisplay(): Display {
  const multi = new cliProgress.MultiBar(
    { clearOnComplete: false, hideCursor: true, format: "{label} {bar} {percentage}% {info}", barsize: 24, stream: process.stderr, fps: 8 },
    cliProgress.Presets.shades_grey,
  );
  const budget = multi.create(100, 0, { label: "budget     ", info: "" });
  const gens = multi.create(1, 0, { label: "generations", info: "" });
  const rows: cliProgress.SingleBar[] = [];
  let stopped = false;
  const row = (i: number) => (rows[i] ??= multi.create(100, 0, { label: `island ${String(i).padEnd(4)}`, info: "" }));
  return {
    onEvent(e) {
      if (e.type === "seed") gens.update(0, { info: `seed val ${pct(e.val)}` });
      if (e.type === "generation") {
        gens.setTotal(e.generations);
        gens.update(e.generation + 1, { info: `${e.children} new, ${e.rejected} dup, ${e.failed} failed${repliesNote(e.replies)}` });
        budget.update(Math.round(e.spend.fraction * 100), {
          info: `$${e.spend.usd.toFixed(4)} charged, ${e.spend.calls} calls | evolver $${e.spend.byRole.evolver.toFixed(4)} user $${e.spend.byRole.user.toFixed(4)} verifier $${e.spend.byRole.verifier.toFixed(4)}`,
        });
        e.islands.forEach((i) => row(i.id).update(Math.round(i.bestScore * 100), { info: `${i.preset.padEnd(9)} best ${pct(i.bestScore)} mean ${pct(i.meanScore)} diversity ${i.diversity.toFixed(2)}` }));
      }
      if (e.type === "status") gens.update({ info: e.status });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      multi.stop();
    },
  };
}
