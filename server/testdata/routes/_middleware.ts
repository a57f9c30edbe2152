import type { Middleware } from "../../mod.ts";

/** Wraps every route: marks the response so tests see the chain's order. */
export const handler: Middleware = async function markRoot(ctx) {
  const response = await ctx.next();
  response.headers.append("x-chain", "root");
  return response;
};
