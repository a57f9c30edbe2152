import type { Middleware } from "../../../../mod.ts";

/** An array export: each runs in order. */
export default [
  async function first(ctx) {
    const response = await ctx.next();
    response.headers.append("x-chain", "deep-first");
    return response;
  },
  async function second(ctx) {
    const response = await ctx.next();
    response.headers.append("x-chain", "deep-second");
    return response;
  },
] satisfies Middleware[];
