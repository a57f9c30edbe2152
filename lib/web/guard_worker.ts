/**
 * The web server's connection guard worker (`server/guard_worker.ts`): the guard with
 * the proxies `TRUST_PROXY` names as shared peers, which only the total connection cap
 * applies to (every client behind a load balancer arrives from its address).
 *
 * @module
 */
import { runGuardWorker } from "../../server/guard_worker.ts";
import { compileTrust } from "./client_address.ts";

runGuardWorker((data) => {
  const trust = compileTrust((data as { trustProxy: string[] }).trustProxy);
  return { isSharedPeer: (address: string) => trust(address, 0) };
});
