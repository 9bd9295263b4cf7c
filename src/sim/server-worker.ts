/** The sim server's own thread (see server-thread.ts): starts it, reports where, closes on request. */
import { parentPort, workerData } from "node:worker_threads";
import { startSimServer, type SimServerOptions } from "./server.js";

const server = await startSimServer(workerData as SimServerOptions);
parentPort!.postMessage({ type: "listening", baseURL: server.baseURL, port: server.port });
parentPort!.on("message", (m: { type: string }) => {
  if (m.type !== "close") return;
  void server.close().then(() => parentPort!.postMessage({ type: "closed" }));
});
