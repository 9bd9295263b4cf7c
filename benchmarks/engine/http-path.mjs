/**
 * The HTTP path alone (issue 10): client CPU per chat completion through the engine's Endpoint
 * (the openai SDK and its fetch) against the sim server in another process, so this process's
 * CPU (process.cpuUsage, all threads) is the client's only.
 *   node benchmarks/engine/http-path.mjs [calls] [concurrency] [dist-folder]
 * Prints one JSON line: calls, wall ms, CPU ms, attempts.
 */
import { fork } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join, resolve } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const [callsArg, concArg, distArg] = process.argv.slice(2);
const calls = Number(callsArg ?? 4000);
const concurrency = Number(concArg ?? 64);
const dist = resolve(distArg ?? join(here, "../../dist"));

if (process.env.HTTP_PATH_SERVER) {
  // The child: only the sim server.
  const { startSimServer } = await import(pathToFileURL(join(dist, "sim/server.js")).href);
  const server = await startSimServer({ world: 1 });
  process.send({ baseURL: server.baseURL });
} else {
  const child = fork(fileURLToPath(import.meta.url), process.argv.slice(2), { env: { ...process.env, HTTP_PATH_SERVER: "1" }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const baseURL = await new Promise((ok) => child.once("message", (m) => ok(m.baseURL)));
  const { Endpoint, NO_KEY } = await import(pathToFileURL(join(dist, "llm/endpoint.js")).href);
  const endpoint = new Endpoint("mid", { model: "sim:mid", maxRetries: 2, timeoutMs: 60_000 }, baseURL, NO_KEY);
  // A user-role request as the quickstart sends it: a harness of ~1.5 KB as system prompt, a task.
  const system = "You are a careful assistant. ".repeat(55);
  const request = (i) => [
    { role: "system", content: system },
    { role: "user", content: `Task ${i}: what is ${i} + ${i * 7}? End with a line 'Final answer: <number>'.` },
  ];
  const params = { temperature: 0.7, max_tokens: 512, seed: 1 };
  // Warm up (connections, JIT), then measure.
  await Promise.all(Array.from({ length: concurrency }, (_, i) => endpoint.complete(request(i), params)));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  let attempts = 0;
  const worker = async () => {
    while (next < calls) {
      const i = next++;
      const reply = await endpoint.complete(request(i), params);
      attempts += reply.attempts;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  child.kill();
  process.stdout.write(JSON.stringify({ calls, concurrency, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, attempts }) + "\n");
}
