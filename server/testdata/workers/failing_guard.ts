// A guard worker that dies a moment after it started listening (for the failure test).
import { runGuardWorker } from "../../guard_worker.ts";

runGuardWorker();
self.addEventListener("message", (event: MessageEvent<{ type: string }>) => {
  if (event.data.type === "start") {
    setTimeout(() => {
      throw new Error("boom in the guard");
    }, 300);
  }
});
